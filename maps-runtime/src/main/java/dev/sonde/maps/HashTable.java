package dev.sonde.maps;

import static dev.sonde.maps.HashLayout.*;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The lock-free open-addressing table behind the hash maps, over the slots described in {@link HashLayout}. A
 * key is passed either as bytes ({@code kb}) or, for 4- and 8-byte keys on the typed path, as a {@code long}
 * ({@code kl}, used when {@code kb} is null), so both paths share one protocol and the typed one allocates nothing.
 * Results are slot offsets (≥ 0), negative errnos, or the sentinels below.
 */
final class HashTable {
    /** find(): no LIVE element holds the key. */
    static final int NOT_FOUND = -1;
    /** find(): another thread is inserting the key right now and has not settled yet. */
    static final int PENDING = Integer.MIN_VALUE;
    /** insert(): the insert lost to an earlier copy of the key; run the whole operation again. */
    static final int RETRY = Integer.MIN_VALUE + 1;

    /**
     * How long a call retries on a slot that does not settle before it gives up with -EBUSY: only a writer that
     * died mid-write (another process killed while it held the file writable) leaves one; a live writer that is
     * merely descheduled comes back well within it.
     */
    private static final long GIVE_UP_NANOS = 500_000_000L;
    /** The clock is read once per this many retries (a power of two minus one), not on every one. */
    private static final int CLOCK_EVERY = 4095;

    private static final VarHandle LONG = MapMemory.LONG;
    private static final VarHandle INT = MapMemory.INT;
    private static final VarHandle SHORT = MapMemory.SHORT;
    private static final int BASE = MapHeaderLayout.DATA_OFFSET;

    private final ByteBuffer mem;
    /** mem's address for HotMemory: the lookups read map memory unchecked, within the bounds the constructor checked. */
    private final long base;
    private final int capacity;
    private final int mask;
    private final int slotSize;
    private final int keyOff;
    private final int valueOff;
    private final int valueBytes;
    private final int keySize;
    private final long keyMask;
    private final int maxEntries;
    private final long start;
    private final boolean lru;
    /** F_NO_COMMON_LRU: the shards that each have their own LRU; 0 for one LRU (or none) for the whole map. */
    private final int lruShards;
    private final long shardCap;
    private final int lruShardBase;

    /**
     * A table over a map file whose control words are written ({@link #format}) and checked; {@code lruShards}
     * is the number of per-shard LRUs (F_NO_COMMON_LRU), or 0.
     */
    HashTable(ByteBuffer mem, int keySize, int maxEntries, boolean lru, int lruShards) {
        this.mem = mem;
        this.base = HotMemory.base(mem);
        this.capacity = mem.getInt(CAPACITY_OFFSET);
        this.mask = capacity - 1;
        this.slotSize = mem.getInt(SLOT_SIZE_OFFSET);
        this.keyOff = mem.getInt(KEY_OFFSET_OFFSET);
        this.valueOff = mem.getInt(VALUE_OFFSET_OFFSET);
        // Every slot offset is BASE + (idx & mask) * slotSize, read up to its key's end unchecked (HotMemory): the
        // words read from the file must keep all of that inside it, whatever wrote them.
        if (capacity <= 0 || (capacity & mask) != 0 || keyOff != KEY_OFFSET || valueOff < KEY_OFFSET + 8
                || slotSize < valueOff || (long) BASE + (long) capacity * slotSize > mem.capacity()) {
            throw new SondeException(Errno.EINVAL, "hash map file has a damaged table (capacity " + capacity
                    + ", slot_size " + slotSize + ", key_offset " + keyOff + ", value_offset " + valueOff + ", "
                    + mem.capacity() + " bytes); recreate the map");
        }
        this.valueBytes = slotSize - valueOff;
        this.keySize = keySize;
        this.keyMask = keySize >= 8 ? -1L : (1L << (8 * keySize)) - 1;
        this.maxEntries = maxEntries;
        this.start = HashFunction.start(mem.getLong(SEED_OFFSET), keySize);
        this.lru = lru;
        this.lruShards = lruShards;
        this.shardCap = lruShards == 0 ? maxEntries : maxEntries / lruShards;
        this.lruShardBase = BASE + capacity * slotSize;
    }

    /** Writes the control words of a freshly created, zeroed file. */
    static void format(ByteBuffer mem, MapSpec spec, long seed) {
        int stride = MapMemory.roundUp8(spec.valueSize());
        int slots = spec.type().perShard() ? spec.numShards() : 1;
        mem.putInt(HASH_ALGO_OFFSET, HASH_ALGO_MIX64_V1);
        mem.putInt(CAPACITY_OFFSET, (int) HashLayout.capacity(spec.maxEntries()));
        mem.putLong(SEED_OFFSET, seed);
        mem.putInt(SLOT_SIZE_OFFSET, (int) slotSize(spec.keySize(), stride, slots));
        mem.putInt(KEY_OFFSET_OFFSET, KEY_OFFSET);
        mem.putInt(VALUE_OFFSET_OFFSET, HashLayout.valueOffset(spec.keySize()));
        mem.putInt(VALUE_STRIDE_OFFSET, stride);
    }

    int capacity() { return capacity; }
    int valueOffset() { return valueOff; }

    /** Elements held (plus winning inserts about to publish). */
    long count() {
        return (long) LONG.getAcquire(mem, COUNT_OFFSET);
    }

    int slotOffset(int index) {
        return BASE + index * slotSize;
    }

    long hash(byte[] kb, long kl) {
        return kb == null ? HashFunction.hashChunk(start, kl & keyMask) : HashFunction.hash(start, kb);
    }

    // ---- lookups: no CAS, no store; they only retry --------------------------------------------------------

    /**
     * The typed hot path: the slot of the LIVE element with this 4- or 8-byte key, or NOT_FOUND. Only the home
     * slot is looked at here, in few bytecodes, so that this inlines into a program's call; the rest is in
     * {@link #findLongProbing}.
     */
    int findLong(long key) {
        ByteBuffer m = mem; // into locals before the fences, after which the JIT would load the fields again
        long b = base;
        long km = keyMask;
        long k = key & km;
        int idx = (int) HashFunction.hashChunk(start, k) & mask;
        int off = BASE + idx * slotSize; // idx <= mask: inside the slots the constructor checked
        // A plain read and then an acquire fence make a load-acquire (the word is aligned, so one access) for
        // less code than the VarHandle's: the key must be read after the state that published it.
        long c = HotMemory.getLong(m, b, off);
        VarHandle.acquireFence();
        if ((c & (STATE_MASK | DOOMED)) == LIVE && (HotMemory.getLong(m, b, off + KEY_OFFSET) & km) == k) {
            VarHandle.acquireFence(); // the key was read before this re-check: same ctrl, same element
            if (HotMemory.getLong(m, b, off) == c) {
                return off;
            }
        }
        return (c & STATE_MASK) == EMPTY ? NOT_FOUND : findLongProbing(k, idx, off);
    }

    /**
     * findLong from the home slot {@code idx} at {@code homeOff} again (it may have changed), then past it. The
     * typed twin of {@link #find}, kept because it is on the hot path: handing these lookups to find() measured
     * 72 instead of 78 ops/us in HashMapBenchmark (1024 keys, 2026-11-29).
     */
    private int findLongProbing(long k, int idx, int homeOff) {
        ByteBuffer m = mem;
        long b = base;
        long km = keyMask;
        int off = homeOff;
        for (int n = 0;;) {
            long c = HotMemory.getLong(m, b, off);
            VarHandle.acquireFence(); // as in findLong
            if ((c & (STATE_MASK | DOOMED)) == LIVE && (HotMemory.getLong(m, b, off + KEY_OFFSET) & km) == k) {
                VarHandle.acquireFence();
                if (HotMemory.getLong(m, b, off) == c) {
                    return off;
                }
                continue; // the element changed under the look: look at this slot again
            }
            // Acquire: an insert raises its home's bound before it publishes, so a published key is within reach.
            if ((c & STATE_MASK) == EMPTY
                    || ++n > (HotMemory.getIntAcquire(m, b, homeOff + BOUND_OFFSET) & BOUND_MASK)) {
                return NOT_FOUND;
            }
            idx = (idx + 1) & mask;
            off = BASE + idx * slotSize;
        }
    }

    /** The slot of the LIVE element with this key, NOT_FOUND, or PENDING while another thread inserts it. */
    int find(long h, byte[] kb, long kl) {
        ByteBuffer m = mem;
        long b = base;
        int idx = (int) h & mask;
        // Acquire: as in findLong.
        int limit = HotMemory.getIntAcquire(m, b, BASE + idx * slotSize + BOUND_OFFSET) & BOUND_MASK;
        for (int n = 0; n <= limit;) {
            int off = BASE + idx * slotSize;
            long c = HotMemory.getLongAcquire(m, b, off);
            long st = c & STATE_MASK;
            if (st == EMPTY) {
                return NOT_FOUND;
            }
            if ((st == LIVE || st == INSERTING) && (c & DOOMED) == 0 && matches(off, kb, kl)) {
                VarHandle.acquireFence(); // the key was read before this re-check
                if (HotMemory.getLongAcquire(m, b, off) == c) {
                    return st == LIVE ? off : PENDING;
                }
                continue;
            }
            n++;
            idx = (idx + 1) & mask;
        }
        return NOT_FOUND;
    }

    /** Copies the value of {@code kb} into {@code out}: 0 or -ENOENT. A value being rewritten is re-read. */
    int lookup(byte[] kb, byte[] out) {
        long h = hash(kb, 0);
        long started = 0;
        for (int spins = 0;; spins++) {
            if ((spins & CLOCK_EVERY) == CLOCK_EVERY) {
                if (spins == CLOCK_EVERY) {
                    started = System.nanoTime();
                } else if (System.nanoTime() - started > GIVE_UP_NANOS) {
                    return -Errno.EBUSY;
                }
            }
            int off = find(h, kb, 0);
            if (off < 0) {
                return -Errno.ENOENT;
            }
            long c = (long) LONG.getAcquire(mem, off);
            if ((c & (STATE_MASK | DOOMED)) != LIVE) {
                continue;
            }
            if ((c & WRITING) != 0) {
                Thread.onSpinWait();
                continue;
            }
            boolean same = matches(off, kb, 0);
            mem.get(off + valueOff, out);
            VarHandle.acquireFence(); // the copies above happen before the re-check: unchanged ctrl, untorn value
            if ((long) LONG.getAcquire(mem, off) == c && same) {
                return 0;
            }
        }
    }

    /**
     * The key after {@code kbOrNull} in slot order into {@code out}: the first key for null or for a key that is
     * gone (as htab_map_get_next_key restarts), -ENOENT after the last.
     */
    int getNextKey(byte[] kbOrNull, byte[] out) {
        int idx = 0;
        if (kbOrNull != null) {
            int off = find(hash(kbOrNull, 0), kbOrNull, 0);
            if (off >= 0) {
                idx = (off - BASE) / slotSize + 1;
            }
        }
        while (idx < capacity) {
            int off = slotOffset(idx);
            long c = (long) LONG.getAcquire(mem, off);
            if ((c & (STATE_MASK | DOOMED)) == LIVE) {
                mem.get(off + keyOff, out);
                VarHandle.acquireFence(); // the key copy happens before the re-check
                if ((long) LONG.getAcquire(mem, off) == c) {
                    return 0;
                }
                continue;
            }
            idx++;
        }
        return -Errno.ENOENT;
    }

    // ---- writes ---------------------------------------------------------------------------------------------

    /**
     * Inserts or replaces per {@code flags} (ANY, NOEXIST, EXIST); {@code vb} null inserts a zeroed value and
     * leaves a present one alone (lookupOrInit). Returns the element's slot or -EEXIST / -ENOENT / -E2BIG / -ENOMEM.
     */
    int update(byte[] kb, long kl, byte[] vb, long flags) {
        long h = hash(kb, kl);
        long started = 0;
        for (int spins = 0;; spins++) {
            if ((spins & CLOCK_EVERY) == CLOCK_EVERY) {
                if (spins == CLOCK_EVERY) {
                    started = System.nanoTime();
                } else if (System.nanoTime() - started > GIVE_UP_NANOS) {
                    return -Errno.EBUSY;
                }
            }
            int off = find(h, kb, kl);
            if (off == PENDING) {
                Thread.onSpinWait(); // another thread's insert of this very key is settling
                continue;
            }
            if (off >= 0) {
                if (flags == BpfMap.NOEXIST) {
                    return -Errno.EEXIST;
                }
                if (vb == null) {
                    touch(off);
                    return off;
                }
                if (write(off, kb, kl, vb)) {
                    return off;
                }
                continue;
            }
            if (flags == BpfMap.EXIST) {
                return -Errno.ENOENT;
            }
            int r = insert(h, kb, kl, vb);
            if (r == RETRY || (r == -Errno.EEXIST && flags != BpfMap.NOEXIST)) {
                continue;
            }
            return r;
        }
    }

    /** Rewrites a LIVE element's value under the ctrl sequence lock; false when the element changed (look again). */
    private boolean write(int off, byte[] kb, long kl, byte[] vb) {
        long c = (long) LONG.getVolatile(mem, off);
        if ((c & (STATE_MASK | DOOMED)) != LIVE) {
            return false;
        }
        if ((c & WRITING) != 0) {
            // Another write of this element is in flight: ours is ordered just before it, so it is overwritten.
            boolean same = matches(off, kb, kl);
            VarHandle.acquireFence(); // the key was read before the re-check
            return same && (long) LONG.getVolatile(mem, off) == c;
        }
        // CAS (full fence): readers that copy after this see WRITING or a new generation when they re-check.
        if (!LONG.compareAndSet(mem, off, c, c | WRITING)) {
            return false;
        }
        boolean same = matches(off, kb, kl);
        if (same) {
            mem.put(off + valueOff, vb);
        }
        finishWrite(off);
        return same;
    }

    /** Clears WRITING with a new generation, or completes a delete that arrived meanwhile (DOOMED). */
    private void finishWrite(int off) {
        for (;;) {
            long d = (long) LONG.getVolatile(mem, off);
            // CAS publishes the value bytes (release) before the generation readers re-check.
            if ((d & DOOMED) != 0) {
                long h = storedHash(off); // still ours: no reuse before DEAD
                int owner = owner(off);
                if (LONG.compareAndSet(mem, off, d, next(d, DEAD))) {
                    release(owner);
                    removed(off, h);
                    return;
                }
            } else if (LONG.compareAndSet(mem, off, d, next(d, LIVE))) {
                return;
            }
        }
    }

    /** Claims a free slot, fills it, publishes INSERTING and settles races with other inserts of the same key. */
    private int insert(long h, byte[] kb, long kl, byte[] vb) {
        int home = (int) h & mask;
        int i = 0;
        int off;
        long busy;
        for (;; i++) {
            if (i == capacity) {
                return -Errno.E2BIG; // only slots leaked by writers that died mid-insert can fill the table
            }
            off = slotOffset((home + i) & mask);
            long c = (long) LONG.getVolatile(mem, off);
            long st = c & STATE_MASK;
            // Held elements never exceed max_entries <= capacity / 2, so a free slot is near.
            if ((st == EMPTY || st == DEAD) && LONG.compareAndSet(mem, off, c, busy = next(c, BUSY))) {
                break;
            }
        }
        int homeOff = slotOffset(home);
        raiseBound(homeOff, i);
        writeKey(off, kb, kl);
        if (vb == null) {
            for (int b = 0; b < valueBytes; b += 8) {
                LONG.set(mem, off + valueOff + b, 0L);
            }
        } else {
            mem.put(off + valueOff, vb);
        }
        int shard = lruShards == 0 ? 0 : Shards.current(lruShards);
        if (lru) {
            // Ref and owner in one write, while the slot is BUSY: the owner never changes while the element lives.
            // REF_NEW survives one sweep; a used element survives two.
            INT.setOpaque(mem, off + REF_OFFSET, shard << 16 | REF_NEW);
        }
        long mine = next(busy, INSERTING);
        // Volatile store then volatile loads in the scan (store-load order): of two concurrent inserts of one key,
        // at least one sees the other.
        LONG.setVolatile(mem, off, mine);
        int result = 0;
        boolean pending = false;
        int limit = (int) INT.getVolatile(mem, homeOff + BOUND_OFFSET) & BOUND_MASK;
        for (int j = 0; j <= limit && result == 0;) {
            if (j == i) {
                j++;
                continue;
            }
            int o = slotOffset((home + j) & mask);
            long d = (long) LONG.getVolatile(mem, o);
            long s = d & STATE_MASK;
            if (s == EMPTY) {
                break;
            }
            if (s == INSERTING && (d & DOOMED) != 0) {
                pending = true; // a killed copy whose owner may not have given its count unit back yet
            } else if ((s == LIVE || s == INSERTING) && (d & DOOMED) == 0 && matches(o, kb, kl)) {
                VarHandle.acquireFence(); // the key was read before the re-check
                if ((long) LONG.getVolatile(mem, o) != d) {
                    continue;
                }
                if (s == LIVE) {
                    result = -Errno.EEXIST;
                } else if (j < i) {
                    result = RETRY; // the copy nearer the home wins
                } else if (!LONG.compareAndSet(mem, o, d, next(d, INSERTING) | DOOMED)) {
                    continue; // kill the later copy (its owner gives its unit back, then DEAD); if it moved, look again
                } else {
                    pending = true;
                }
            }
            j++;
        }
        if (result == 0) {
            // The count is taken only by the copy that won, so two inserts of one key never take two units
            // and cannot make each other fail with E2BIG.
            if (!reserve(shard)) {
                if (pending || (long) LONG.getVolatile(mem, off) != mine) {
                    // A killed copy may hold a unit it has not given back yet (its scan saw us still BUSY and it
                    // reserved), or we were killed by the winner whose unit this is: the key is not failing for
                    // want of room, so go again (and find the winner) rather than fail or evict.
                    result = RETRY;
                } else if (!lru) {
                    result = -Errno.E2BIG;
                } else if (!evictAndReserve(shard)) {
                    result = -Errno.ENOMEM; // as the kernel's prealloc_lru_pop failing
                }
            }
            if (result == 0) {
                if (LONG.compareAndSet(mem, off, mine, next(mine, LIVE))) {
                    return off;
                }
                release(shard);
                result = RETRY; // killed by a copy nearer the home
            }
        }
        // DEAD only now, after the release() above: a killed copy stays INSERTING|DOOMED while it may hold a unit.
        for (;;) {
            long c = (long) LONG.getVolatile(mem, off); // mine, or mine killed (DOOMED) by a copy nearer the home
            if (LONG.compareAndSet(mem, off, c, next(c, DEAD))) {
                break;
            }
        }
        removed(off, h);
        return result;
    }

    /** Deletes the key, copying its last value into {@code out} first when not null: 0 or -ENOENT. */
    int delete(byte[] kb, long kl, byte[] out) {
        long h = hash(kb, kl);
        long started = 0;
        for (int spins = 0;; spins++) {
            if ((spins & CLOCK_EVERY) == CLOCK_EVERY) {
                if (spins == CLOCK_EVERY) {
                    started = System.nanoTime();
                } else if (System.nanoTime() - started > GIVE_UP_NANOS) {
                    return -Errno.EBUSY;
                }
            }
            int off = find(h, kb, kl);
            if (off < 0) {
                return -Errno.ENOENT; // PENDING too: that insert has not happened yet
            }
            long c = (long) LONG.getVolatile(mem, off);
            if ((c & (STATE_MASK | DOOMED)) != LIVE || !matches(off, kb, kl)) {
                continue;
            }
            VarHandle.acquireFence(); // the key was read before the CAS that proves the element unchanged
            if (out != null) {
                if ((c & WRITING) != 0) {
                    Thread.onSpinWait(); // let the write land: the value taken must be a whole one
                    continue;
                }
                long taking = next(c, TAKING);
                int owner = owner(off); // read while the CAS below can still prove it is this element's
                if (LONG.compareAndSet(mem, off, c, taking)) {
                    // TAKING: deleted for everyone, yet no claim can reuse the slot while the value is copied out.
                    mem.get(off + valueOff, out);
                    LONG.setRelease(mem, off, next(taking, DEAD)); // release: the copy is done before any reuse
                    release(owner);
                    removed(off, h);
                    return 0;
                }
                continue;
            }
            int owner = owner(off);
            if ((c & WRITING) != 0) {
                if (LONG.compareAndSet(mem, off, c, c | DOOMED)) {
                    return 0; // the writer finishes the delete
                }
            } else if (LONG.compareAndSet(mem, off, c, next(c, DEAD))) {
                release(owner);
                removed(off, h);
                return 0;
            }
        }
    }

    // ---- LRU ------------------------------------------------------------------------------------------------

    /** Marks an LRU element as used (ref 2); read first so that hot keys do not write their line on every lookup. */
    void touch(int off) {
        // The ref half-word only: the owner beside it is the inserter's to write.
        if (lru && (short) SHORT.getOpaque(mem, off + REF_OFFSET) != REF_USED) {
            SHORT.setOpaque(mem, off + REF_OFFSET, (short) REF_USED); // opaque: a hint for the evictor, no ordering
        }
    }

    /**
     * CLOCK with a 2-step ref: the hand lowers each ref it passes by one and evicts the first at 0. With
     * F_NO_COMMON_LRU each shard has its own hand and passes over other shards' elements.
     */
    private boolean evictAndReserve(int shard) {
        int handOff = lruShards == 0 ? LRU_HAND_OFFSET : lruShardBase + shard * LRU_SHARD_LINE + LRU_SHARD_HAND;
        for (long step = 0, steps = 4L * capacity; step < steps; step++) {
            if (reserve(shard)) {
                return true;
            }
            long hand = (long) LONG.getAndAdd(mem, handOff, 1L);
            int off = slotOffset((int) hand & mask);
            long c = (long) LONG.getVolatile(mem, off);
            if ((c & (STATE_MASK | WRITING | DOOMED)) != LIVE || owner(off) != shard) {
                continue;
            }
            short ref = (short) SHORT.getOpaque(mem, off + REF_OFFSET);
            if (ref != 0) {
                // Racing a touch is harmless: the element only ages less.
                SHORT.setOpaque(mem, off + REF_OFFSET, (short) (ref - 1));
                continue;
            }
            long h = storedHash(off);
            VarHandle.acquireFence(); // the key was read before the CAS proves the element unchanged
            if (LONG.compareAndSet(mem, off, c, next(c, DEAD))) {
                release(shard);
                removed(off, h);
            }
        }
        return reserve(shard);
    }

    /** The shard whose unit the element at {@code off} holds: 0 unless F_NO_COMMON_LRU. */
    private int owner(int off) {
        return lruShards == 0 ? 0 : (short) SHORT.getOpaque(mem, off + OWNER_OFFSET) & 0xFFFF;
    }

    // ---- count, probe bound, keys ---------------------------------------------------------------------------

    /** Takes a unit of the count (and of {@code shard}'s with F_NO_COMMON_LRU); false when there is none left. */
    private boolean reserve(int shard) {
        int countOff = lruShards == 0 ? COUNT_OFFSET : lruShardBase + shard * LRU_SHARD_LINE + LRU_SHARD_COUNT;
        long cap = lruShards == 0 ? maxEntries : shardCap;
        for (;;) {
            long n = (long) LONG.getVolatile(mem, countOff);
            if (n >= cap) {
                return false;
            }
            // CAS, not getAndAdd: the count must never pass its cap, even for a moment.
            if (LONG.compareAndSet(mem, countOff, n, n + 1)) {
                break;
            }
        }
        if (lruShards != 0) {
            LONG.getAndAdd(mem, COUNT_OFFSET, 1L); // the shards' caps add up to max_entries: no check needed
        }
        return true;
    }

    /** Gives back the unit {@code reserve(owner)} took. */
    private void release(int owner) {
        if (lruShards != 0) {
            LONG.getAndAdd(mem, lruShardBase + owner * LRU_SHARD_LINE + LRU_SHARD_COUNT, -1L);
        }
        LONG.getAndAdd(mem, COUNT_OFFSET, -1L);
    }

    /** Before publishing: a raise always clears SCANNING, so a lowering that began before it cannot land. */
    private void raiseBound(int homeOff, int distance) {
        for (;;) {
            int w = (int) INT.getVolatile(mem, homeOff + BOUND_OFFSET);
            int b = w & BOUND_MASK;
            if ((b >= distance && (w & SCANNING) == 0)
                    || INT.compareAndSet(mem, homeOff + BOUND_OFFSET, w, Math.max(b, distance))) {
                return;
            }
        }
    }

    /** After an element at {@code off} went DEAD: if it was its home's farthest, shrink the home's bound. */
    private void removed(int off, long h) {
        int idx = (off - BASE) / slotSize;
        int home = (int) h & mask;
        int homeOff = slotOffset(home);
        int w = (int) INT.getVolatile(mem, homeOff + BOUND_OFFSET);
        if (w == 0 || w != ((idx - home) & mask) || !INT.compareAndSet(mem, homeOff + BOUND_OFFSET, w, w | SCANNING)) {
            return;
        }
        int nb = w; // from the freed slot itself: it may already hold a new key of this home
        for (; nb > 0; nb--) {
            int o = slotOffset((home + nb) & mask);
            long c = (long) LONG.getVolatile(mem, o);
            long s = c & STATE_MASK;
            if (s == BUSY) {
                break; // a claim whose key is not written yet may be of this home: keep it in reach
            }
            if (s == LIVE || s == INSERTING) {
                long kh = storedHash(o);
                VarHandle.acquireFence(); // the key was read before the re-check
                if ((long) LONG.getVolatile(mem, o) != c || ((int) kh & mask) == home) {
                    break;
                }
            }
        }
        // Fails if an insert raised the bound meanwhile (SCANNING cleared): its bound stands.
        INT.compareAndSet(mem, homeOff + BOUND_OFFSET, w | SCANNING, nb);
    }

    private long storedHash(int off) {
        return keySize == 8 || keySize == 4 ? HashFunction.hashChunk(start, keyAt(off))
                : HashFunction.hash(start, mem, off + keyOff, keySize);
    }

    /** The key stored at slot {@code off}: plain reads, ordered by the callers' fences around the ctrl word. */
    private long keyAt(int off) {
        return keySize == 8 ? HotMemory.getLong(mem, base, off + KEY_OFFSET)
                : HotMemory.getInt(mem, base, off + KEY_OFFSET) & keyMask;
    }

    private boolean matches(int off, byte[] kb, long kl) {
        if (kb == null) {
            return keyAt(off) == (kl & keyMask);
        }
        int base = off + keyOff;
        int i = 0;
        for (; i + 8 <= keySize; i += 8) {
            if ((long) LONG.get(mem, base + i) != HashFunction.leLong(kb, i)) {
                return false;
            }
        }
        for (; i < keySize; i++) {
            if (mem.get(base + i) != kb[i]) {
                return false;
            }
        }
        return true;
    }

    private void writeKey(int off, byte[] kb, long kl) {
        if (kb != null) {
            mem.put(off + keyOff, kb);
        } else if (keySize == 8) {
            LONG.set(mem, off + keyOff, kl);
        } else {
            INT.set(mem, off + keyOff, (int) kl);
        }
    }
}
