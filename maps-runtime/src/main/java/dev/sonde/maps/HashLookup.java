package dev.sonde.maps;

import static dev.sonde.maps.HashLayout.*;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The read side of the lock-free table behind the hash maps ({@link HashLayout} has the memory and the protocol):
 * the table's geometry, read from the file's control words and checked, and the lookups, which take no lock,
 * make no CAS and store nothing; they only retry. {@link HashTable} adds the writes. A key is passed either as
 * bytes ({@code kb}) or, for 4- and 8-byte keys on the typed path, as a {@code long} ({@code kl}, used when
 * {@code kb} is null), so both paths share one protocol and the typed one allocates nothing. Results are slot
 * offsets (≥ 0), negative errnos, or the sentinels below.
 */
class HashLookup {
    /** find(): no LIVE element holds the key. */
    static final int NOT_FOUND = -1;
    /** find(): another thread is inserting the key right now and has not settled yet. */
    static final int PENDING = Integer.MIN_VALUE;
    /**
     * How long a call retries on a slot that does not settle before it gives up with -EBUSY: only a writer that
     * died mid-write (another process killed while it held the file writable) leaves one; a live writer that is
     * merely descheduled comes back well within it.
     */
    static final long GIVE_UP_NANOS = 500_000_000L;
    /** The clock is read once per this many retries (a power of two minus one), not on every one. */
    static final int CLOCK_EVERY = 4095;
    /** retryClock(): the retries have gone on for GIVE_UP_NANOS. */
    static final long GAVE_UP = Long.MIN_VALUE;

    static final VarHandle LONG = MapMemory.LONG;
    static final int BASE = MapHeaderLayout.DATA_OFFSET;

    final ByteBuffer mem;
    /** mem's address for HotMemory: the lookups read map memory unchecked, within the bounds the constructor checked. */
    final long base;
    final int capacity;
    final int mask;
    final int slotSize;
    final int keyOff;
    final int valueOff;
    final int keySize;
    final long keyMask;
    final long start;
    /** The file's hash is fib64 v2 (else mix64 v1): which function, and where the home slot's bits are. */
    final boolean fib;
    /** home(): the hash's top log2(capacity) bits for fib64 v2; 0 for mix64 v1, whose low bits the mask takes. */
    final int shift;

    /** The table of a map file whose control words are written ({@link HashTable#format}); checks them. */
    HashLookup(ByteBuffer mem, int keySize) {
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
        int algo = mem.getInt(HASH_ALGO_OFFSET);
        if (algo != HASH_ALGO_FIB64_V2 && algo != HASH_ALGO_MIX64_V1) {
            throw new SondeException(Errno.EINVAL, "hash map file has hash algorithm " + algo + ", which this Sonde "
                    + "does not know; read it with the Sonde release that wrote it");
        }
        this.keySize = keySize;
        this.keyMask = keySize >= 8 ? -1L : (1L << (8 * keySize)) - 1;
        this.start = HashFunction.start(mem.getLong(SEED_OFFSET), keySize);
        this.fib = algo == HASH_ALGO_FIB64_V2;
        // capacity 1 would want a shift of 64, which Java takes as 0: the mask then gives slot 0 all the same.
        this.shift = fib ? Long.numberOfLeadingZeros(capacity) + 1 & 63 : 0;
    }

    /** The home slot of hash {@code h}: its top bits (fib64 v2) or its low bits (mix64 v1). */
    final int home(long h) {
        return (int) (h >>> shift) & mask;
    }

    /**
     * The give-up clock of the retry loops: {@code started} as it should be after retry {@code spins} (the time of
     * retry CLOCK_EVERY, read then), or GAVE_UP once GIVE_UP_NANOS have passed since.
     */
    static long retryClock(int spins, long started) {
        if ((spins & CLOCK_EVERY) != CLOCK_EVERY) {
            return started;
        }
        long t = System.nanoTime();
        return spins == CLOCK_EVERY ? t : t - started > GIVE_UP_NANOS ? GAVE_UP : started;
    }

    final int capacity() {
        return capacity;
    }

    final int valueOffset() {
        return valueOff;
    }

    /** Elements held (plus winning inserts about to publish). */
    final long count() {
        return (long) LONG.getAcquire(mem, COUNT_OFFSET);
    }

    final int slotOffset(int index) {
        return BASE + index * slotSize;
    }

    final long hash(byte[] kb, long kl) {
        if (fib) {
            return kb == null ? HashFunction.fibChunk(start, kl & keyMask) : HashFunction.fib(start, kb);
        }
        return kb == null ? HashFunction.hashChunk(start, kl & keyMask) : HashFunction.hash(start, kb);
    }
    // ---- lookups: no CAS, no store; they only retry --------------------------------------------------------

    /**
     * The typed hot path: the slot of the LIVE element with this 4- or 8-byte key, or NOT_FOUND. The typed twin
     * of {@link #find}, kept because it is on the hot path: handing these lookups to find() measured 72 instead
     * of 78 ops/us in HashMapBenchmark (1024 keys, 2026-11-29). One loop from the home slot on, where a first look
     * at the home used to be a method of its own and the loop another: as fast, and the home is read once.
     */
    final int findLong(long key) {
        ByteBuffer m = mem; // into locals before the fences, after which the JIT would load the fields again
        long b = base;
        long km = keyMask;
        int msk = mask;
        int size = slotSize;
        long k = key & km;
        // A branch on the file's algorithm, not a virtual call: new maps are all fib64, so it is always predicted.
        int idx = home(fib ? HashFunction.fibChunk(start, k) : HashFunction.hashChunk(start, k));
        int homeOff = BASE + idx * size; // idx <= mask: inside the slots the constructor checked
        int off = homeOff;
        for (int n = 0;;) {
            // A plain read and then an acquire fence make a load-acquire (the word is aligned, so one access) for
            // less code than the VarHandle's: the key must be read after the state that published it.
            long c = HotMemory.getLong(m, b, off);
            VarHandle.acquireFence();
            if ((c & (STATE_MASK | DOOMED)) == LIVE && (HotMemory.getLong(m, b, off + KEY_OFFSET) & km) == k) {
                VarHandle.acquireFence(); // the key was read before this re-check: same ctrl, same element
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
            idx = (idx + 1) & msk;
            off = BASE + idx * size;
        }
    }

    /** The slot of the LIVE element with this key, NOT_FOUND, or PENDING while another thread inserts it. */
    final int find(long h, byte[] kb, long kl) {
        ByteBuffer m = mem;
        long b = base;
        int idx = home(h);
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
    final int lookup(byte[] kb, byte[] out) {
        long h = hash(kb, 0);
        long started = 0;
        for (int spins = 0;; spins++) {
            if ((started = retryClock(spins, started)) == GAVE_UP) {
                return -Errno.EBUSY;
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
    final int getNextKey(byte[] kbOrNull, byte[] out) {
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

    // ---- keys -----------------------------------------------------------------------------------------------

    final long storedHash(int off) {
        if (keySize == 8 || keySize == 4) {
            long k = keyAt(off);
            return fib ? HashFunction.fibChunk(start, k) : HashFunction.hashChunk(start, k);
        }
        int at = off + keyOff;
        return fib ? HashFunction.fib(start, mem, at, keySize) : HashFunction.hash(start, mem, at, keySize);
    }

    /** The key stored at slot {@code off}: plain reads, ordered by the callers' fences around the ctrl word. */
    final long keyAt(int off) {
        return keySize == 8 ? HotMemory.getLong(mem, base, off + KEY_OFFSET)
                : HotMemory.getInt(mem, base, off + KEY_OFFSET) & keyMask;
    }

    final boolean matches(int off, byte[] kb, long kl) {
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
}
