package dev.sonde.maps;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The VarHandles through which all map memory is read and written. Views over direct (mapped) buffers give
 * plain, opaque, acquire/release and atomic access without {@code Unsafe}; atomic modes need the offset aligned
 * to the access size, which every {@code *Layout} guarantees for the words it makes atomic. Little-endian, as
 * map files are, whatever the host.
 */
public final class MapMemory {
    public static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    public static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    public static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private MapMemory() {
    }

    /** {@code n} rounded up to a multiple of 8, as the kernel rounds per-CPU values and record lengths. */
    public static int roundUp8(int n) {
        return (n + 7) & ~7;
    }

    public static long roundUp(long n, long alignment) {
        return (n + alignment - 1) & -alignment;
    }
}
