package dev.sonde.maps;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Read-side critical sections and grace periods for map-in-map swaps: the role RCU plays for the kernel's
 * {@code bpf_map_fd_put_ptr()}, in the style of SRCU. A program brackets the use of an inner map with
 * {@link #enter()} / {@link #exit(int)}; the thread that swaps a fresh inner map in calls {@link #synchronize()}
 * after the swap and before it drains the old map, and then sees every increment made through the old map.
 *
 * <p>Readers count themselves in per-shard counters of the current epoch's parity (two parities, so that readers
 * arriving after a flip never hold up the grace period that waits for the old one); one reader touches only its
 * own shard's counter, so readers do not contend with each other. {@code synchronize()} waits for the idle
 * parity's counters to read zero, flips the epoch, then waits for the old parity's counters to read zero.
 *
 * <p>Why it is enough: the reader's increment, its load of the inner map ({@link InnerMaps#get}), the swapper's
 * store of the new map and its counter reads are all volatile, hence totally ordered consistently with each
 * thread's program order. Every counter is read zero after the store, whichever parity the reader counted itself
 * in. If that read came before the reader's increment, the reader's later load comes after the swapper's earlier
 * store and sees the new map; otherwise the swapper waited for the reader's {@code exit}, whose volatile write
 * happens-after the reader's last add to the old map.
 *
 * <p>Scanning the old parity alone is not enough: a reader that reads the epoch, stalls across a whole grace
 * period, then counts itself, lands in the parity the next grace period does not scan, and that grace period
 * returns while the reader still adds to the map it drains (a lost increment, seen in HashOfMapsTest).
 */
public final class GracePeriod {
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
    /** 128 bytes between counters: two shards' counters never share a cache line (or an adjacent-line prefetch pair). */
    private static final int PAD = 16;

    private final int shards;
    private final long[] counts;
    private volatile int epoch;

    public GracePeriod() {
        this(Shards.numShards());
    }

    /** @param shards counters per epoch, a power of two */
    public GracePeriod(int shards) {
        if (shards < 1 || Integer.bitCount(shards) != 1) {
            throw new SondeException(Errno.EINVAL, "grace period shards " + shards + " must be a power of two; use Maps.numShards()");
        }
        this.shards = shards;
        this.counts = new long[(2 * shards + 1) * PAD];
    }

    /** Enters a read-side critical section; pass the returned token to {@link #exit(int)}. Allocation-free. */
    public int enter() {
        return enterAt(slot());
    }

    /** The counter {@link #enter()} picks now; apart from {@link #enterAt} only so a test can stall in between. */
    int slot() {
        return ((epoch & 1) * shards + Shards.current(shards) + 1) * PAD;
    }

    int enterAt(int slot) {
        // Volatile RMW: the count is visible before this thread's following load of the inner map.
        COUNTS.getAndAdd(counts, slot, 1L);
        return slot;
    }

    public void exit(int token) {
        // Volatile RMW: every write made through the inner map happens-before a synchronize() that reads zero.
        COUNTS.getAndAdd(counts, token, -1L);
    }

    /**
     * Waits until every critical section that may have seen the state before this call has exited. Control plane
     * only: it yields while it waits, and must not be called inside a critical section.
     */
    public synchronized void synchronize() {
        int cur = epoch;
        // The idle parity first, as SRCU scans idx ^ 1 before its flip: a reader that read the epoch before the
        // last flip but counted itself after that grace period's scan sits there, and may still hold a map that
        // was current before this call. Only such stragglers arrive there (one per thread at most), so this ends.
        awaitZero((cur + 1) & 1);
        epoch = cur + 1;
        awaitZero(cur & 1);
    }

    private void awaitZero(int parity) {
        int from = parity * shards + 1;
        for (int s = 0; s < shards; s++) {
            while ((long) COUNTS.getVolatile(counts, (from + s) * PAD) != 0) {
                Thread.yield();
            }
        }
    }

    /** Readers now inside a critical section, for diagnostics. */
    public long readers() {
        long n = 0;
        for (int i = 1; i <= 2 * shards; i++) {
            n += (long) COUNTS.getVolatile(counts, i * PAD);
        }
        return n;
    }
}
