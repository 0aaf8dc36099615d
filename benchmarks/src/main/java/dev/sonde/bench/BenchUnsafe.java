package dev.sonde.bench;

import java.lang.reflect.Field;
import java.nio.Buffer;

/**
 * {@code sun.misc.Unsafe} for the hand-written floors the benchmarks measure Sonde against (a bare hash probe, a
 * minimal ring): what an off-heap structure can reach with no checks at all.
 */
final class BenchUnsafe {
    static final sun.misc.Unsafe U;
    /** The offset of a direct buffer's native address in {@link Buffer}. */
    private static final long ADDRESS;

    static {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            U = (sun.misc.Unsafe) f.get(null);
            ADDRESS = U.objectFieldOffset(Buffer.class.getDeclaredField("address"));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private BenchUnsafe() {
    }

    /** The native address of a direct buffer, which must stay reachable while the address is used. */
    static long address(Buffer direct) {
        return U.getLong(direct, ADDRESS);
    }
}
