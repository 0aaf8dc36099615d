package dev.sonde.maps;

import static dev.sonde.maps.FoldedHashLayout.*;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The table of hash format 3 ({@link FoldedHashLayout} has the memory and the protocol): keys and values of one word
 * each, the slot's state folded into its key word. Lookups take no lock and store nothing; writers of one home take
 * turns on the home's bound word. Keys and values are passed as {@code long}s, little-endian as the bytes of a
 * {@code byte[]} key or value would be; bits beyond the map's key or value size are ignored. Results are slot
 * offsets (≥ 0) or negative errnos.
 */
final class FoldedHashTable {
    static final int NOT_FOUND = -1;
    private static final int SPINS_BEFORE_YIELD = 64;
    /**
     * Slots a lookup probes before it reads the home's bound. Read on every collision (25-30% of lookups at half
     * load), the bound word was a second line to fetch: a 65536-key get measured 96 ops/µs with it and 126 without
     * (benchmarks/README.md, stop 18). Probing a few slots past a low bound is only extra work.
     */
    private static final int UNBOUNDED_PROBES = 3;
    private static final VarHandle LONG = MapMemory.LONG;
    private static final VarHandle INT = MapMemory.INT;

    private final ByteBuffer mem;
    private final long base;
    private final int capacity;
    private final int mask;
    private final int shift;
    private final int bounds;
    private final long start;
    private final long fold;
    private final long keyMask;
    private final long valueMask;
    private final long maxEntries;

    /** The table of a map file whose control words {@link #format} wrote; checks them. */
    FoldedHashTable(ByteBuffer mem, int keySize, int valueSize, int maxEntries) {
        this.mem = mem;
        this.base = HotMemory.base(mem);
        this.capacity = mem.getInt(CAPACITY_OFFSET);
        this.mask = capacity - 1;
        if (mem.getInt(HASH_ALGO_OFFSET) != HASH_ALGO_FOLDED || capacity < 8 || (capacity & mask) != 0
                || mem.getInt(KEY_SIZE_OFFSET) != keySize || mem.getInt(VALUE_SIZE_OFFSET) != valueSize
                || !fits(keySize, valueSize) || MapHeaderLayout.DATA_OFFSET + dataAreaSize(capacity) > mem.capacity()) {
            throw new SondeException(Errno.EINVAL, "hash map file has a damaged folded table (capacity " + capacity
                    + ", key size " + mem.getInt(KEY_SIZE_OFFSET) + ", value size " + mem.getInt(VALUE_SIZE_OFFSET)
                    + ", " + mem.capacity() + " bytes); recreate the map");
        }
        // capacity 2^k: the home is the hash's top k bits, as HashLookup's fib64 v2.
        this.shift = Long.numberOfLeadingZeros(capacity) + 1;
        this.bounds = boundsOffset(capacity);
        this.start = HashFunction.start(mem.getLong(SEED_OFFSET), keySize);
        this.fold = mem.getLong(FOLD_OFFSET);
        this.keyMask = keySize == 8 ? -1L : (1L << (8 * keySize)) - 1;
        this.valueMask = valueSize == 8 ? -1L : (1L << (8 * valueSize)) - 1;
        this.maxEntries = maxEntries;
    }

    /** Writes the control words of a freshly created, zeroed file: every slot is EMPTY already. */
    static void format(ByteBuffer mem, int keySize, int valueSize, int maxEntries, long seed) {
        mem.putInt(HASH_ALGO_OFFSET, HASH_ALGO_FOLDED);
        mem.putInt(CAPACITY_OFFSET, (int) FoldedHashLayout.capacity(maxEntries));
        mem.putLong(SEED_OFFSET, seed);
        mem.putInt(KEY_SIZE_OFFSET, keySize);
        mem.putInt(VALUE_SIZE_OFFSET, valueSize);
        mem.putLong(FOLD_OFFSET, FoldedHashLayout.fold(seed, keySize));
    }

    long count() {
        return (long) LONG.getAcquire(mem, COUNT_OFFSET);
    }

    int capacity() {
        return capacity;
    }

    // The geometry, for FoldedHashMap's lookups.

    long fold() {
        return fold;
    }

    long start() {
        return start;
    }

    int shift() {
        return shift;
    }

    int bounds() {
        return bounds;
    }

    private int home(long key) {
        return (int) (HashFunction.fibChunk(start, key) >>> shift);
    }

    /** The side slot of a key whose key word would read as a state, else -1. */
    private int side(long word) {
        return Long.compareUnsigned(word, DELETED) <= 0 ? (int) word : -1;
    }

    // ---- lookups: no lock, no store -------------------------------------------------------------------------

    /**
     * The typed hot path: the offset of the slot holding {@code key} (its value at +8), or NOT_FOUND. One acquire
     * read of each key word on the way: the key is published after its value, and leaves only by a delete.
     */
    int findLong(long key) {
        long k = key & keyMask;
        long word = k ^ fold;
        int s = side(word);
        if (s >= 0) {
            return findSide(s);
        }
        ByteBuffer m = mem; // into locals: after the acquire loads the JIT would load the fields again
        long b = base;
        int msk = mask;
        int home = home(k);
        int idx = home;
        for (int n = 0;; n++) {
            int off = SLOTS_OFFSET + idx * SLOT_SIZE;
            long w = HotMemory.getLongAcquire(m, b, off);
            if (w == word) {
                return off;
            }
            // The bound only cuts short a miss in a run with no EMPTY slot left (churn leaves DELETED ones): it is
            // read from the fourth slot on, so a short probe touches no line but the slots'. Acquire on it: raised
            // before the key it covers was published.
            // n == msk: every slot seen, which only a damaged file gets to.
            if (w == EMPTY || n >= UNBOUNDED_PROBES
                    && (n >= (HotMemory.getIntAcquire(m, b, bounds + home * 4) & BOUND_MASK) || n == msk)) {
                return NOT_FOUND;
            }
            idx = (idx + 1) & msk;
        }
    }

    private int findSide(int i) {
        int off = sideOffset(i);
        // Acquire: the state is set after the value is written.
        return (long) LONG.getAcquire(mem, off) == SIDE_PRESENT ? off : NOT_FOUND;
    }

    /**
     * The value of {@code key} into {@code out[0]}: 0, or -ENOENT. The epoch is read before the key and again after
     * the value; a delete bumps it before its slot can be reused, so the value read is one the key held.
     */
    int lookup(long key, long[] out) {
        long started = 0;
        for (int spins = 0;; spins++) {
            if ((started = HashLookup.retryClock(spins, started)) == HashLookup.GAVE_UP) {
                return -Errno.EBUSY;
            }
            long epoch = (long) LONG.getAcquire(mem, EPOCH_OFFSET);
            int off = findLong(key);
            if (off < 0) {
                return -Errno.ENOENT;
            }
            long v = (long) LONG.getOpaque(mem, off + VALUE_OFFSET);
            VarHandle.acquireFence(); // the value is read before the epoch again
            if ((long) LONG.getAcquire(mem, EPOCH_OFFSET) == epoch) {
                out[0] = v;
                return 0;
            }
        }
    }

    /**
     * The key after {@code key} ({@code hasKey} false: the first key) into {@code out[0]}: 0 or -ENOENT at the end.
     * Side slots first, then the slots in index order; a key no longer present restarts at the first, as
     * htab_map_get_next_key.
     */
    int getNextKey(boolean hasKey, long key, long[] out) {
        int from = 0; // position in the order: side slots 0..2, then slot i at 3 + i
        if (hasKey) {
            int off = findLong(key);
            if (off >= 0) {
                from = off < SLOTS_OFFSET ? (off - SIDE_OFFSET) / SLOT_SIZE + 1
                        : SIDE_SLOTS + (off - SLOTS_OFFSET) / SLOT_SIZE + 1;
            }
        }
        for (int p = from; p < SIDE_SLOTS; p++) {
            if ((long) LONG.getAcquire(mem, sideOffset(p)) == SIDE_PRESENT) {
                out[0] = fold ^ p;
                return 0;
            }
        }
        for (int i = Math.max(0, from - SIDE_SLOTS); i < capacity; i++) {
            long w = (long) LONG.getAcquire(mem, slotOffset(i));
            if (side(w) < 0) {
                out[0] = w ^ fold;
                return 0;
            }
        }
        return -Errno.ENOENT;
    }

    // ---- writes: the writers of one home take turns -----------------------------------------------------------

    /**
     * Inserts or replaces {@code value} per {@code flags} (ANY, NOEXIST, EXIST); {@code init} inserts a zero value
     * and leaves a present one alone (lookupOrInit). Returns the element's slot offset or -EEXIST / -ENOENT /
     * -E2BIG / -EBUSY.
     */
    int update(long key, long value, long flags, boolean init) {
        long k = key & keyMask;
        long v = init ? 0 : value & valueMask;
        long word = k ^ fold;
        int s = side(word);
        int lock = lockOffset(k, s);
        if (!lock(lock, s >= 0)) {
            return -Errno.EBUSY;
        }
        int bound = boundLocked(lock, s);
        int newBound = bound;
        try {
            int off = s >= 0 ? findSide(s) : findLocked(k, word, bound);
            if (off >= 0) {
                if (flags == BpfMap.NOEXIST) {
                    return -Errno.EEXIST;
                }
                if (!init) {
                    // Release: one word, so a reader sees the old value or the new one, never a mix.
                    LONG.setRelease(mem, off + VALUE_OFFSET, v);
                }
                return off;
            }
            if (flags == BpfMap.EXIST) {
                return -Errno.ENOENT;
            }
            if (!takeUnit()) {
                return -Errno.E2BIG;
            }
            if (s >= 0) {
                off = sideOffset(s);
                LONG.setRelease(mem, off + VALUE_OFFSET, v); // release: see delete
                LONG.setRelease(mem, off, SIDE_PRESENT); // release: the value before the state that says it is there
                return off;
            }
            int home = home(k);
            for (int n = 0;; n++) {
                int o = slotOffset((home + n) & mask);
                long w = (long) LONG.getVolatile(mem, o);
                // Claim a free slot: inserters of other homes may want the same one, hence the CAS.
                if ((w == EMPTY || w == DELETED) && LONG.compareAndSet(mem, o, w, BUSY)) {
                    // Release: a lookup that reads this value reads the epoch after it, and must then see the bump
                    // of the delete that freed the slot (see delete).
                    LONG.setRelease(mem, o + VALUE_OFFSET, v);
                    if (n > bound) {
                        // Release, before the key: a reader that finds the key within reach finds the bound too.
                        newBound = n;
                        INT.setRelease(mem, lock, LOCK | n);
                    }
                    LONG.setRelease(mem, o, word); // release: the value, then the key that publishes it
                    return o;
                }
            }
        } finally {
            unlock(lock, s >= 0, newBound);
        }
    }

    /** Deletes {@code key}, its value into {@code out[0]} if out is not null: 0 or -ENOENT / -EBUSY. */
    int delete(long key, long[] out) {
        long k = key & keyMask;
        long word = k ^ fold;
        int s = side(word);
        int lock = lockOffset(k, s);
        if (!lock(lock, s >= 0)) {
            return -Errno.EBUSY;
        }
        int bound = boundLocked(lock, s);
        try {
            int off = s >= 0 ? findSide(s) : findLocked(k, word, bound);
            if (off < 0) {
                return -Errno.ENOENT;
            }
            if (out != null) {
                out[0] = (long) LONG.get(mem, off + VALUE_OFFSET);
            }
            // Three steps, so that lookup() never returns a value written into this slot after it was reused:
            // 1. BUSY (side slots: SIDE_DELETING): no longer the key, not yet free. A lookup whose first epoch read
            //    sees the bump of step 2 reads the key word after it, so it no longer finds the key.
            // 2. The epoch, a full fence. 3. Free: only now may an insert claim the slot, and its value write is a
            //    release, so a lookup that reads that value reads the epoch after it and sees the bump, and retries.
            LONG.setRelease(mem, off, s >= 0 ? SIDE_DELETING : BUSY);
            LONG.getAndAdd(mem, EPOCH_OFFSET, 1L);
            LONG.setRelease(mem, off, s >= 0 ? SIDE_ABSENT : DELETED);
            LONG.getAndAdd(mem, COUNT_OFFSET, -1L);
            return 0;
        } finally {
            unlock(lock, s >= 0, bound);
        }
    }

    /** The writers' lock of key {@code k}: its home's bound word, or the side lock for side slot {@code s} (≥ 0). */
    private int lockOffset(long k, int s) {
        return s >= 0 ? SIDE_LOCK_OFFSET : bounds + home(k) * 4;
    }

    /** The home's bound, read by the holder of its lock (side slots have none). */
    private int boundLocked(int lock, int s) {
        return s >= 0 ? 0 : (int) INT.get(mem, lock) & BOUND_MASK;
    }

    /** findLong under the home's lock: only this thread can add or remove keys of this home meanwhile. */
    private int findLocked(long k, long word, int bound) {
        int home = home(k);
        for (int n = 0; n <= bound; n++) {
            int off = slotOffset((home + n) & mask);
            long w = (long) LONG.getAcquire(mem, off);
            if (w == word) {
                return off;
            }
            if (w == EMPTY) {
                return NOT_FOUND;
            }
        }
        return NOT_FOUND;
    }

    /** A unit of count for a new element, or false when the map holds max_entries already. */
    private boolean takeUnit() {
        for (;;) {
            long c = (long) LONG.getVolatile(mem, COUNT_OFFSET);
            if (c >= maxEntries) {
                return false;
            }
            if (LONG.compareAndSet(mem, COUNT_OFFSET, c, c + 1)) {
                return true;
            }
        }
    }

    /**
     * Takes the writers' lock at {@code at} (a home's bound word, or the side lock word): false after
     * HashLookup.GIVE_UP_NANOS of trying, which only a writer that died inside makes happen. A holder takes well
     * under a microsecond when it runs; after {@link #SPINS_BEFORE_YIELD} tries the waiter yields, so that a holder
     * descheduled on a busy machine gets the CPU back instead of waiting for the scheduler to preempt the waiter.
     */
    private boolean lock(int at, boolean sideLock) {
        long started = 0;
        for (int spins = 0;; spins++) {
            if (sideLock) {
                if (LONG.compareAndSet(mem, at, 0L, 1L)) { // CAS: acquire for what the last holder wrote
                    return true;
                }
            } else {
                int w = (int) INT.getVolatile(mem, at);
                if ((w & LOCK) == 0 && INT.compareAndSet(mem, at, w, w | LOCK)) {
                    return true;
                }
            }
            if ((started = HashLookup.retryClock(spins, started)) == HashLookup.GAVE_UP) {
                return false;
            }
            if (spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private void unlock(int at, boolean sideLock, int bound) {
        // Release: everything this writer did happens before the next holder's CAS.
        if (sideLock) {
            LONG.setRelease(mem, at, 0L);
        } else {
            INT.setRelease(mem, at, bound);
        }
    }
}
