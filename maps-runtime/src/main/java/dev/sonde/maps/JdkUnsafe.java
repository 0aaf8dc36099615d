package dev.sonde.maps;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.Buffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * {@code jdk.internal.misc.Unsafe}'s memory methods, for {@link HotMemory} on JDK 24 and later, where
 * {@code sun.misc.Unsafe}'s print a warning (JEP 498) and the byte-buffer {@code VarHandle}s cost a third more per
 * relay record. Only when {@code java.base} exports {@code jdk.internal.misc} to this class's module: the agent
 * does that with {@code Instrumentation.redefineModule} before the maps runtime starts, a plain JVM with
 * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} (which Agrona needs too). Nothing is named at
 * compile time (the build is {@code --release 17}, where the package is not visible): the methods are found at
 * run time, and if one is missing, {@link #AVAILABLE} is false and HotMemory keeps its checked accesses.
 *
 * <p>Each handle is bound to the Unsafe instance and kept in a static final field, so C2 treats it as a constant
 * and inlines the call down to the intrinsic, as it does a direct {@code sun.misc.Unsafe} call.
 */
final class JdkUnsafe {
    static final boolean AVAILABLE;
    static final long ADDRESS;
    static final long BYTES_BASE;
    private static final MethodHandle GET_INT;
    private static final MethodHandle PUT_LONG;
    private static final MethodHandle PUT_INT;
    private static final MethodHandle GET_LONG_AT;
    private static final MethodHandle GET_LONG_VOLATILE;
    private static final MethodHandle GET_INT_VOLATILE;
    private static final MethodHandle PUT_LONG_RELEASE;
    private static final MethodHandle PUT_INT_RELEASE;
    private static final MethodHandle CAS_LONG;
    private static final MethodHandle GET_AND_ADD_LONG;
    private static final MethodHandle GET_AND_ADD_INT;
    private static final MethodHandle GET_AND_SET_INT;

    static {
        MethodHandle[] h = new MethodHandle[12];
        long address = -1;
        long bytesBase = -1;
        boolean ok = false;
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN && !"false".equals(System.getProperty("sonde.rawMemory"))
                && Object.class.getModule().isExported("jdk.internal.misc", JdkUnsafe.class.getModule())) {
            try {
                Class<?> c = Class.forName("jdk.internal.misc.Unsafe");
                Object u = c.getMethod("getUnsafe").invoke(null);
                MethodHandles.Lookup l = MethodHandles.lookup();
                Class<?> o = Object.class;
                Class<?> j = long.class;
                Class<?> i = int.class;
                Class<?> v = void.class;
                h[0] = bind(l, c, u, "getInt", i, j);
                h[1] = bind(l, c, u, "putLong", v, j, j);
                h[2] = bind(l, c, u, "putInt", v, j, i);
                h[3] = bind(l, c, u, "getLong", j, o, j);
                h[4] = bind(l, c, u, "getLongVolatile", j, o, j);
                h[5] = bind(l, c, u, "getIntVolatile", i, o, j);
                h[6] = bind(l, c, u, "putLongRelease", v, o, j, j);
                h[7] = bind(l, c, u, "putIntRelease", v, o, j, i);
                h[8] = bind(l, c, u, "compareAndSetLong", boolean.class, o, j, j, j);
                h[9] = bind(l, c, u, "getAndAddLong", j, o, j, j);
                h[10] = bind(l, c, u, "getAndAddInt", i, o, j, i);
                h[11] = bind(l, c, u, "getAndSetInt", i, o, j, i);
                // Numbers: arrayBaseOffset returns an int in some JDKs and a long in others.
                address = ((Number) c.getMethod("objectFieldOffset", Class.class, String.class)
                        .invoke(u, Buffer.class, "address")).longValue();
                bytesBase = ((Number) c.getMethod("arrayBaseOffset", Class.class).invoke(u, byte[].class)).longValue();
                ok = true;
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                // A JDK whose internal Unsafe lacks one of these: HotMemory's checked accesses then.
                Arrays.fill(h, null);
            }
        }
        AVAILABLE = ok;
        ADDRESS = address;
        BYTES_BASE = bytesBase;
        GET_INT = h[0];
        PUT_LONG = h[1];
        PUT_INT = h[2];
        GET_LONG_AT = h[3];
        GET_LONG_VOLATILE = h[4];
        GET_INT_VOLATILE = h[5];
        PUT_LONG_RELEASE = h[6];
        PUT_INT_RELEASE = h[7];
        CAS_LONG = h[8];
        GET_AND_ADD_LONG = h[9];
        GET_AND_ADD_INT = h[10];
        GET_AND_SET_INT = h[11];
    }

    private JdkUnsafe() {
    }

    private static MethodHandle bind(MethodHandles.Lookup l, Class<?> c, Object u, String name, Class<?> ret,
            Class<?>... params) throws ReflectiveOperationException {
        return l.findVirtual(c, name, MethodType.methodType(ret, params)).bindTo(u);
    }

    /**
     * What a handle threw, unchanged: the memory methods declare no checked exception, so nothing else can come;
     * this only satisfies {@code invokeExact}'s {@code throws Throwable}.
     */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof Error) {
            throw (Error) t;
        }
        return t instanceof RuntimeException ? (RuntimeException) t : new IllegalStateException(t);
    }

    static int getInt(long address) {
        try {
            return (int) GET_INT.invokeExact(address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void putLong(long address, long value) {
        try {
            PUT_LONG.invokeExact(address, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void putInt(long address, int value) {
        try {
            PUT_INT.invokeExact(address, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A plain read of an object's field or array element ({@code o} non-null) or of an address ({@code o} null). */
    static long getLong(Object o, long offset) {
        try {
            return (long) GET_LONG_AT.invokeExact(o, offset);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long getLongVolatile(long address) {
        try {
            return (long) GET_LONG_VOLATILE.invokeExact((Object) null, address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int getIntVolatile(long address) {
        try {
            return (int) GET_INT_VOLATILE.invokeExact((Object) null, address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void putLongRelease(long address, long value) {
        try {
            PUT_LONG_RELEASE.invokeExact((Object) null, address, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void putIntRelease(long address, int value) {
        try {
            PUT_INT_RELEASE.invokeExact((Object) null, address, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static boolean compareAndSetLong(long address, long expected, long value) {
        try {
            return (boolean) CAS_LONG.invokeExact((Object) null, address, expected, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long getAndAddLong(long address, long delta) {
        try {
            return (long) GET_AND_ADD_LONG.invokeExact((Object) null, address, delta);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int getAndAddInt(long address, int delta) {
        try {
            return (int) GET_AND_ADD_INT.invokeExact((Object) null, address, delta);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int getAndSetInt(long address, int value) {
        try {
            return (int) GET_AND_SET_INT.invokeExact((Object) null, address, value);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
