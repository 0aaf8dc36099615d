package dev.sonde.maps;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Map memory for the paths that run on every probe hit (relay writes, the ringbuf's producers and consumer loop,
 * the typed accessors of arrays and hashes), without the checks of byte-buffer {@code VarHandle}s where the JDK
 * allows it. Each byte-buffer access re-reads the buffer's address, limit,
 * read-only flag, heap array and memory session and checks them; its store, which might target a heap array, also
 * keeps the compiler from reusing any of them for the next access. In a 32-byte relay write that is half the cost
 * ({@code RelayBenchmark}, benchmarks/README.md). {@code sun.misc.Unsafe} on the buffer's address does the same
 * stores unchecked, into memory the compiler knows is off-heap.
 *
 * <p>{@code sun.misc.Unsafe} only where its memory methods neither warn nor throw: JDK 17 to 23 (JEP 471 deprecated
 * them in 23, JEP 498 warns on first use from 24 on). From JDK 24 on, the same accesses through
 * {@code jdk.internal.misc.Unsafe} ({@link JdkUnsafe}) where {@code java.base} exports it to the maps runtime, as
 * the agent arranges. Only on little-endian hosts (map files are little-endian), and unless
 * {@code -Dsonde.rawMemory=false}. Everywhere else {@link #RAW} is false and every method here is the
 * {@link MapMemory} {@code VarHandle} access it replaces, which the JIT folds to that alone.
 *
 * <p>Unchecked means a wrong offset writes outside the file: callers pass only offsets their own layout
 * arithmetic bounded (or checked against the buffer's capacity), never one taken from a caller unchecked.
 */
final class HotMemory {
    static final boolean RAW;
    private static final sun.misc.Unsafe U;
    private static final long ADDRESS;
    private static final long BYTES_BASE;
    private static final VarHandle LONG = MapMemory.LONG;
    private static final VarHandle INT = MapMemory.INT;
    private static final VarHandle BYTES_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    static {
        sun.misc.Unsafe u = null;
        long address = -1;
        long bytesBase = -1;
        if (Runtime.version().feature() <= 23 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
                && !"false".equals(System.getProperty("sonde.rawMemory"))) {
            try {
                Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
                f.setAccessible(true);
                u = (sun.misc.Unsafe) f.get(null);
                address = u.objectFieldOffset(Buffer.class.getDeclaredField("address"));
                bytesBase = u.arrayBaseOffset(byte[].class);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                // A JDK that hides it, or a runtime image without jdk.unsupported: the checked accesses then.
                u = null;
            }
        }
        U = u;
        if (u == null && JdkUnsafe.AVAILABLE) { // JDK 24+, with jdk.internal.misc exported to us
            address = JdkUnsafe.ADDRESS;
            bytesBase = JdkUnsafe.BYTES_BASE;
        }
        ADDRESS = address;
        BYTES_BASE = bytesBase;
        RAW = u != null || JdkUnsafe.AVAILABLE;
    }

    private HotMemory() {
    }

    /** Which of the three ways this is ({@link Maps#memoryAccess()}). */
    static String access() {
        return U != null ? "sun.misc.Unsafe" : RAW ? "jdk.internal.misc.Unsafe" : "VarHandle";
    }

    // ---- the raw primitives: sun.misc.Unsafe where it is silent, else jdk.internal.misc.Unsafe (U is a constant
    // to the JIT, so each compiles to one of the two) ----

    private static long rawGetLong(Object o, long offset) {
        return U != null ? U.getLong(o, offset) : JdkUnsafe.getLong(o, offset);
    }

    private static long rawGetLong(long a) {
        return U != null ? U.getLong(a) : JdkUnsafe.getLong(null, a); // null base: an address, as Unsafe.getLong(long)
    }

    private static int rawGetInt(long a) {
        return U != null ? U.getInt(a) : JdkUnsafe.getInt(a);
    }

    private static void rawPutLong(long a, long v) {
        if (U != null) {
            U.putLong(a, v);
        } else {
            JdkUnsafe.putLong(a, v);
        }
    }

    private static void rawPutInt(long a, int v) {
        if (U != null) {
            U.putInt(a, v);
        } else {
            JdkUnsafe.putInt(a, v);
        }
    }

    private static long rawGetLongVolatile(long a) {
        return U != null ? U.getLongVolatile(null, a) : JdkUnsafe.getLongVolatile(a);
    }

    private static int rawGetIntVolatile(long a) {
        return U != null ? U.getIntVolatile(null, a) : JdkUnsafe.getIntVolatile(a);
    }

    private static void rawPutLongRelease(long a, long v) {
        if (U != null) {
            U.putOrderedLong(null, a, v);
        } else {
            JdkUnsafe.putLongRelease(a, v);
        }
    }

    private static void rawPutIntRelease(long a, int v) {
        if (U != null) {
            U.putOrderedInt(null, a, v);
        } else {
            JdkUnsafe.putIntRelease(a, v);
        }
    }

    private static boolean rawCasLong(long a, long expected, long v) {
        return U != null ? U.compareAndSwapLong(null, a, expected, v) : JdkUnsafe.compareAndSetLong(a, expected, v);
    }

    private static long rawGetAndAddLong(long a, long d) {
        return U != null ? U.getAndAddLong(null, a, d) : JdkUnsafe.getAndAddLong(a, d);
    }

    private static int rawGetAndAddInt(long a, int d) {
        return U != null ? U.getAndAddInt(null, a, d) : JdkUnsafe.getAndAddInt(a, d);
    }

    private static int rawGetAndSetInt(long a, int v) {
        return U != null ? U.getAndSetInt(null, a, v) : JdkUnsafe.getAndSetInt(a, v);
    }

    /** The buffer's base address: one field read, which raw stores (off-heap) do not make the JIT repeat. */
    private static long address(ByteBuffer b) {
        return rawGetLong(b, ADDRESS);
    }

    static long getLong(ByteBuffer b, int off) {
        return RAW ? rawGetLong(address(b) + off) : (long) LONG.get(b, off);
    }

    static int getInt(ByteBuffer b, int off) {
        return RAW ? rawGetInt(address(b) + off) : (int) INT.get(b, off);
    }

    static void putLong(ByteBuffer b, int off, long value) {
        if (RAW) {
            rawPutLong(address(b) + off, value);
        } else {
            LONG.set(b, off, value);
        }
    }

    static void putInt(ByteBuffer b, int off, int value) {
        if (RAW) {
            rawPutInt(address(b) + off, value);
        } else {
            INT.set(b, off, value);
        }
    }

    /** An acquire load; the raw one is volatile (sun.misc.Unsafe has no acquire), the same instruction on x86. */
    static long getLongAcquire(ByteBuffer b, int off) {
        return RAW ? rawGetLongVolatile(address(b) + off) : (long) LONG.getAcquire(b, off);
    }

    static int getIntAcquire(ByteBuffer b, int off) {
        return RAW ? rawGetIntVolatile(address(b) + off) : (int) INT.getAcquire(b, off);
    }

    static void putLongRelease(ByteBuffer b, int off, long value) {
        if (RAW) {
            rawPutLongRelease(address(b) + off, value);
        } else {
            LONG.setRelease(b, off, value);
        }
    }

    static long getAndAddLong(ByteBuffer b, int off, long delta) {
        return RAW ? rawGetAndAddLong(address(b) + off, delta) : (long) LONG.getAndAdd(b, off, delta);
    }

    static int getAndSetInt(ByteBuffer b, int off, int value) {
        return RAW ? rawGetAndSetInt(address(b) + off, value) : (int) INT.getAndSet(b, off, value);
    }

    /** A release store (x86: a plain store the compiler keeps after the earlier ones). */
    static void putIntRelease(ByteBuffer b, int off, int value) {
        if (RAW) {
            rawPutIntRelease(address(b) + off, value);
        } else {
            INT.setRelease(b, off, value);
        }
    }

    /** Compare-and-set with volatile semantics, as {@code VarHandle.compareAndSet}. */
    static boolean compareAndSetLong(ByteBuffer b, int off, long expected, long value) {
        return RAW ? rawCasLong(address(b) + off, expected, value)
                : LONG.compareAndSet(b, off, expected, value);
    }

    /** Eight bytes of {@code src} at {@code off}, little-endian; the caller checked {@code off + 8 <= src.length}. */
    static long getLong(byte[] src, int off) {
        return RAW ? rawGetLong(src, BYTES_BASE + off) : (long) BYTES_LONG.get(src, off);
    }

    /** A volatile load, for a Dekker pairing with another thread's volatile store (the ringbuf's wake-up rule). */
    static long getLongVolatile(ByteBuffer b, int off) {
        return RAW ? rawGetLongVolatile(address(b) + off) : (long) LONG.getVolatile(b, off);
    }

    // ---- with the base address in hand: for paths that read it once (a field, or a local before a fence) ----

    /**
     * The base address that the {@code (b, base, off)} methods below add {@code off} to when {@link #RAW}, else 0
     * (they then use {@code b} alone). A caller keeps it in a final field or a local: a fence, or a store the JIT
     * cannot place, would otherwise make it read the buffer's address field again before the next access. Only
     * while {@code b} stays reachable (a field of the caller's object): the address dies with the mapping.
     */
    static long base(ByteBuffer b) {
        return RAW ? address(b) : 0;
    }

    static long getLong(ByteBuffer b, long base, int off) {
        return RAW ? rawGetLong(base + off) : (long) LONG.get(b, off);
    }

    /** As above with a long offset, below 2^31 (see getLongAcquire's). */
    static long getLong(ByteBuffer b, long base, long off) {
        return RAW ? rawGetLong(base + off) : (long) LONG.get(b, (int) off);
    }

    static int getInt(ByteBuffer b, long base, int off) {
        return RAW ? rawGetInt(base + off) : (int) INT.get(b, off);
    }

    static long getLongAcquire(ByteBuffer b, long base, int off) {
        return RAW ? rawGetLongVolatile(base + off) : (long) LONG.getAcquire(b, off);
    }

    /** As above with a long offset, below 2^31 (a probe's index arithmetic stays in longs, see FoldedHashMap). */
    static long getLongAcquire(ByteBuffer b, long base, long off) {
        return RAW ? rawGetLongVolatile(base + off) : (long) LONG.getAcquire(b, (int) off);
    }

    static int getIntAcquire(ByteBuffer b, long base, int off) {
        return RAW ? rawGetIntVolatile(base + off) : (int) INT.getAcquire(b, off);
    }

    /** An opaque store; the raw one is a release store (sun.misc.Unsafe has no opaque), a plain mov on x86. */
    static void putLongOpaque(ByteBuffer b, long base, int off, long value) {
        if (RAW) {
            rawPutLongRelease(base + off, value);
        } else {
            LONG.setOpaque(b, off, value);
        }
    }

    static void putIntOpaque(ByteBuffer b, long base, int off, int value) {
        if (RAW) {
            rawPutIntRelease(base + off, value);
        } else {
            INT.setOpaque(b, off, value);
        }
    }

    static long getAndAddLong(ByteBuffer b, long base, int off, long delta) {
        return RAW ? rawGetAndAddLong(base + off, delta) : (long) LONG.getAndAdd(b, off, delta);
    }

    static int getAndAddInt(ByteBuffer b, long base, int off, int delta) {
        return RAW ? rawGetAndAddInt(base + off, delta) : (int) INT.getAndAdd(b, off, delta);
    }
}
