package dev.sonde.maps;

import static dev.sonde.maps.RelayLayout.*;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A consistent copy of one live shard, taken as a seqlock reads: the write position first, then each
 * sub-buffer, oldest lap first, each followed by a fresh read of the position. Writers move the position with
 * a CAS before they touch a byte, so a lap whose slot a newer lap could have started writing into while it was
 * copied is known, and only that sub-buffer is left out.
 */
final class RelayImage {
    final byte[] bytes;
    final ByteBuffer buffer;
    /** The position read before copying: claims after it are not part of the image. */
    final long pos;
    private final long[] posAfterSlot;
    private final int subbufSize;
    private final int nSubbufs;

    private RelayImage(byte[] bytes, long pos, long[] posAfterSlot, int subbufSize, int nSubbufs) {
        this.bytes = bytes;
        this.buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        this.pos = pos;
        this.posAfterSlot = posAfterSlot;
        this.subbufSize = subbufSize;
        this.nSubbufs = nSubbufs;
    }

    /** Copies {@code live}, a mapped shard file whose header was validated. */
    static RelayImage copy(ByteBuffer live) {
        int sbs = live.getInt(SUBBUF_SIZE_OFFSET);
        int n = live.getInt(N_SUBBUFS_OFFSET);
        byte[] img = new byte[(int) fileSize(sbs, n)];
        ByteBuffer dst = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        // Acquire: the bytes copied below are at least as new as this position.
        long before = (long) MapMemory.LONG.getAcquire(live, POS_OFFSET);
        copyWords(live, dst, 0, FILE_HEADER_SIZE);
        long[] after = new long[n];
        java.util.Arrays.fill(after, before);
        long current = lapOf(before, sbs);
        for (long lap = Math.max(0, current - n + 1); lap <= current; lap++) {
            int slot = (int) (lap & (n - 1));
            copyWords(live, dst, (int) subbufOffset(slot, sbs), sbs);
            // The copy's loads complete before the position is read again: the seqlock's second read.
            VarHandle.loadLoadFence();
            after[slot] = (long) MapMemory.LONG.getAcquire(live, POS_OFFSET);
        }
        return new RelayImage(img, before, after, sbs, n);
    }

    /**
     * Word by word, not memcpy: a record header (length and stamp, one 8-byte store) is never copied torn, and
     * each acquire makes the payload of a committed header, read after it, complete.
     */
    private static void copyWords(ByteBuffer live, ByteBuffer dst, int from, int len) {
        for (int i = from; i < from + len; i += 8) {
            dst.putLong(i, (long) MapMemory.LONG.getAcquire(live, i));
        }
    }

    /** Whether a newer lap may have written into {@code lap}'s slot before the copy of that slot completed. */
    boolean reused(long lap) {
        return lap <= lapOf(posAfterSlot[(int) (lap & (nSubbufs - 1))], subbufSize) - nSubbufs;
    }
}
