package dev.sonde.maps;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Copies values between {@code byte[]} and map memory one aligned 8-byte word at a time, so that every word
 * of a value is read and written whole: a lookup racing an update never sees a mix of two updates' bytes
 * inside one aligned word. Across words nothing is promised, which is what the kernel's in-place
 * {@code copy_map_value} gives arrays without {@code BPF_F_LOCK}. {@code memOffset} must be 8-byte aligned.
 */
final class WordCopy {
    private static final VarHandle BYTES_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BYTES_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private WordCopy() {
    }

    static void toMemory(ByteBuffer mem, int memOffset, byte[] src, int srcOffset, int len) {
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            // Opaque: whole-word (single-copy atomic) without ordering the words among themselves.
            MapMemory.LONG.setOpaque(mem, memOffset + i, (long) BYTES_LONG.get(src, srcOffset + i));
        }
        if (i + 4 <= len) {
            MapMemory.INT.setOpaque(mem, memOffset + i, (int) BYTES_INT.get(src, srcOffset + i));
            i += 4;
        }
        for (; i < len; i++) {
            mem.put(memOffset + i, src[srcOffset + i]);
        }
    }

    static void fromMemory(ByteBuffer mem, int memOffset, byte[] dst, int dstOffset, int len) {
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            // Opaque: pairs with toMemory's whole-word stores.
            BYTES_LONG.set(dst, dstOffset + i, (long) MapMemory.LONG.getOpaque(mem, memOffset + i));
        }
        if (i + 4 <= len) {
            BYTES_INT.set(dst, dstOffset + i, (int) MapMemory.INT.getOpaque(mem, memOffset + i));
            i += 4;
        }
        for (; i < len; i++) {
            dst[dstOffset + i] = mem.get(memOffset + i);
        }
    }

    /** The u32 index in a 4-byte little-endian array key, as an unsigned value. */
    static long index(byte[] key) {
        return Integer.toUnsignedLong((int) BYTES_INT.get(key, 0));
    }

    static void putIndex(byte[] key, int index) {
        BYTES_INT.set(key, 0, index);
    }
}
