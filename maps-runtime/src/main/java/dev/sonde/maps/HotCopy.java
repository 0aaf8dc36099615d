package dev.sonde.maps;

import java.nio.ByteBuffer;

/**
 * The payload copy of the record writers (relay {@code output}/{@code putBytes}, ringbuf {@code output}/
 * {@code putBytes}). For the short records they mostly carry it is a few word moves where
 * {@code ByteBuffer.put(int, byte[], int, int)} checks and calls a copy stub (2 ns more per 32-byte relay record,
 * benchmarks/README.md); long payloads take that stub, which wins there.
 */
final class HotCopy {
    /** Payloads up to this many bytes are copied a word at a time, longer ones by the buffer's bulk copy. */
    private static final int WORD_COPY_MAX = 256;

    private HotCopy() {
    }

    /**
     * Copies {@code len} bytes of {@code src} into map memory at {@code at} (a claimed record's payload): 8-byte
     * words, then single bytes. Bounds are the caller's to check first, so a bad argument never leaves a claimed
     * record behind, and so the unchecked words of {@link HotMemory} stay inside the source array and the file.
     */
    static void copy(ByteBuffer b, int at, byte[] src, int off, int len) {
        int whole = len & ~7;
        if (whole <= 64) {
            copyWords(b, at, src, off, whole >>> 3);
        } else {
            copyLong(b, at, src, off, whole);
        }
        if (whole != len) {
            copyTail(b, at, src, off, whole, len);
        }
    }

    /**
     * Up to eight words as straight-line stores: a fall-through switch, where a loop whose trip count is known only
     * at run time compiles to pre-, main and post-loops that cost 1.1 ns more on a 32-byte record.
     */
    @SuppressWarnings("fallthrough")
    private static void copyWords(ByteBuffer b, int at, byte[] src, int off, int words) {
        switch (words) {
            case 8: HotMemory.putLong(b, at + 56, HotMemory.getLong(src, off + 56));
            case 7: HotMemory.putLong(b, at + 48, HotMemory.getLong(src, off + 48));
            case 6: HotMemory.putLong(b, at + 40, HotMemory.getLong(src, off + 40));
            case 5: HotMemory.putLong(b, at + 32, HotMemory.getLong(src, off + 32));
            case 4: HotMemory.putLong(b, at + 24, HotMemory.getLong(src, off + 24));
            case 3: HotMemory.putLong(b, at + 16, HotMemory.getLong(src, off + 16));
            case 2: HotMemory.putLong(b, at + 8, HotMemory.getLong(src, off + 8));
            case 1: HotMemory.putLong(b, at, HotMemory.getLong(src, off));
            default:
        }
    }

    private static void copyLong(ByteBuffer b, int at, byte[] src, int off, int whole) {
        if (whole > WORD_COPY_MAX) {
            b.put(at, src, off, whole);
            return;
        }
        for (int i = 0; i < whole; i += 8) {
            HotMemory.putLong(b, at + i, HotMemory.getLong(src, off + i));
        }
    }

    private static void copyTail(ByteBuffer b, int at, byte[] src, int off, int whole, int len) {
        for (int i = whole; i < len; i++) {
            b.put(at + i, src[off + i]);
        }
    }
}
