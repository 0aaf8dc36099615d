package dev.sonde.maps;

import static dev.sonde.maps.HashLayout.*;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The write side of the lock-free table behind the hash maps: inserts, value writes and deletes, the count, the
 * probe bounds and the LRU, on top of {@link HashLookup}'s geometry and lookups ({@link HashLayout} has the
 * memory and the protocol).
 */
final class HashTable extends HashLookup {
    /** insert(): the insert lost to an earlier copy of the key; run the whole operation again. */
    static final int RETRY = Integer.MIN_VALUE + 1;

    private static final VarHandle INT = MapMemory.INT;
    private static final VarHandle SHORT = MapMemory.SHORT;

    private final int valueBytes;
    private final int maxEntries;
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
        super(mem, keySize);
        this.valueBytes = slotSize - valueOff;
        this.maxEntries = maxEntries;
        this.lru = lru;
        this.lruShards = lruShards;
        this.shardCap = lruShards == 0 ? maxEntries : maxEntries / lruShards;
        this.lruShardBase = BASE + capacity * slotSize;
    }

    /** Writes the control words of a freshly created, zeroed file. */
    static void format(ByteBuffer mem, MapSpec spec, long seed) {
        int stride = MapMemory.roundUp8(spec.valueSize());
        int slots = spec.type().perShard() ? spec.numShards() : 1;
        mem.putInt(HASH_ALGO_OFFSET, HASH_ALGO_FIB64_V2);
        mem.putInt(CAPACITY_OFFSET, (int) HashLayout.capacity(spec.maxEntries()));
        mem.putLong(SEED_OFFSET, seed);
        mem.putInt(SLOT_SIZE_OFFSET, (int) slotSize(spec.keySize(), stride, slots));
        mem.putInt(KEY_OFFSET_OFFSET, KEY_OFFSET);
        mem.putInt(VALUE_OFFSET_OFFSET, HashLayout.valueOffset(spec.keySize()));
        mem.putInt(VALUE_STRIDE_OFFSET, stride);
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
            if ((started = retryClock(spins, started)) == GAVE_UP) {
                return -Errno.EBUSY;
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
        int home = home(h);
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
            if ((started = retryClock(spins, started)) == GAVE_UP) {
                return -Errno.EBUSY;
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
        int home = home(h);
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
                if ((long) LONG.getVolatile(mem, o) != c || home(kh) == home) {
                    break;
                }
            }
        }
        // Fails if an insert raised the bound meanwhile (SCANNING cleared): its bound stands.
        INT.compareAndSet(mem, homeOff + BOUND_OFFSET, w | SCANNING, nb);
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
