package dev.sonde.maps;

import static dev.sonde.maps.FoldedHashLayout.DELETED;
import static dev.sonde.maps.FoldedHashLayout.SLOT_SIZE;

/**
 * A {@code HASH} map whose keys and values each fit one word (1 to 8 bytes): the semantics of
 * {@code kernel/bpf/hashtab.c}, as {@link BpfHashMap}'s, over the table of hash format 3 ({@link FoldedHashTable},
 * {@link FoldedHashLayout}), whose lookup reads one word of one line. Per-shard and LRU hashes, and wider keys or
 * values, stay on format 2 ({@link BpfHashMap}).
 */
final class FoldedHashMap extends HashValueMap {
    private final FoldedHashTable table;
    /** Copies of the table's geometry, as lookupElem reads it (see there). */
    private final long keyMask;
    private final long fold;
    private final long start;
    private final int shift;
    private final int mask;
    /**
     * Key words lookupElem hands to {@link #lookupFar} (unsigned, up to this): the three that name side slots, or
     * all of them when the map's keys are not 4 or 8 bytes, so that one compare makes both checks.
     */
    private final long farWords;
    private final long slotBase;

    FoldedHashMap(MapSpec spec, int id, MapFile file, boolean readOnly) {
        super(spec, id, file, readOnly);
        this.table = new FoldedHashTable(mem, spec.keySize(), spec.valueSize(), spec.maxEntries());
        this.keyMask = table.keyMask();
        this.fold = table.fold();
        this.start = table.start();
        this.shift = table.shift();
        this.mask = table.capacity() - 1;
        this.farWords = typedKeys ? DELETED : -1L;
        this.slotBase = table.base();
    }

    @Override
    long count() {
        return table.count();
    }

    /** The little-endian word of a key or value array of at most 8 bytes. */
    private static long word(byte[] b) {
        return HashFunction.leChunk(b, 0, b.length);
    }

    private static void bytes(long w, byte[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (w >>> (8 * i));
        }
    }

    // ---- syscall-style calls -------------------------------------------------------------------------------

    @Override
    public int lookup(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        if (!sysRead) {
            return -Errno.EPERM;
        }
        long[] out = new long[1]; // the syscall-style calls are not the programs' hot path
        int r = table.lookup(word(key), out);
        if (r == 0) {
            bytes(out[0], value);
        }
        return r;
    }

    @Override
    public int update(byte[] key, byte[] value, long flags) {
        checkKey(key);
        checkValue(value);
        if (!sysWrite) {
            return -Errno.EPERM;
        }
        long f = updateFlags(flags);
        if (f < 0) {
            return -Errno.EINVAL;
        }
        int r = table.update(word(key), word(value), f, false);
        return r < 0 ? r : 0;
    }

    @Override
    public int delete(byte[] key) {
        checkKey(key);
        if (!sysWrite) {
            return -Errno.EPERM;
        }
        return table.delete(word(key), null);
    }

    @Override
    public int getNextKey(byte[] keyOrNull, byte[] nextKey) {
        checkNextKey(keyOrNull, nextKey);
        if (!sysRead) {
            return -Errno.EPERM;
        }
        long[] out = new long[1]; // the syscall-style calls are not the programs' hot path
        int r = table.getNextKey(keyOrNull != null, keyOrNull == null ? 0 : word(keyOrNull), out);
        if (r == 0) {
            bytes(out[0], nextKey);
        }
        return r;
    }

    @Override
    public int lookupAndDelete(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        if (!sysRead || !sysWrite) {
            return -Errno.EPERM;
        }
        long[] out = new long[1]; // the syscall-style calls are not the programs' hot path
        int r = table.delete(word(key), out);
        if (r == 0) {
            bytes(out[0], value);
        }
        return r;
    }

    // ---- typed accessors -------------------------------------------------------------------------------------

    /**
     * A program's lookup. The home slot is read here, from this object's own copies of the table's geometry: going
     * through the table object for them, with its checks, measured 195-222 ops/µs on a 1024-key get where reading
     * them here measured more (benchmarks/README.md, stop 18). A key in a side slot, or one further than
     * {@link FoldedHashTable#UNBOUNDED_PROBES} slots from its home, takes the table's whole lookup.
     */
    @Override
    public long lookupElem(long key) {
        long k = key & keyMask;
        long word = k ^ fold;
        if (Long.compareUnsigned(word, farWords) <= 0) {
            return lookupFar(k); // a side slot's key, or a map without typed keys
        }
        long b = slotBase;
        int msk = mask;
        int idx = (int) (HashFunction.fibChunk(start, k) >>> shift);
        for (int n = 0;; n++) {
            int off = FoldedHashLayout.SLOTS_OFFSET + idx * SLOT_SIZE;
            // Acquire: the key word is published after the value (FoldedHashLayout).
            long w = HotMemory.getLongAcquire(mem, b, off);
            if (w == word) {
                return off + FoldedHashLayout.VALUE_OFFSET;
            }
            if (w == FoldedHashLayout.EMPTY) {
                return -Errno.ENOENT;
            }
            if (n == FoldedHashTable.UNBOUNDED_PROBES) {
                return lookupFar(k); // a long run: the table's lookup, which stops at the home's bound
            }
            idx = (idx + 1) & msk;
        }
    }

    private long lookupFar(long k) {
        if (!typedKeys) {
            return -Errno.EINVAL;
        }
        int off = table.findLong(k);
        return off < 0 ? -Errno.ENOENT : off + FoldedHashLayout.VALUE_OFFSET;
    }

    @Override
    public long lookupOrInitElem(long key) {
        long h = lookupElem(key); // -EINVAL passes through
        if (h != -Errno.ENOENT) {
            return h;
        }
        if (readOnly) {
            return -Errno.EPERM;
        }
        int off = table.update(key, 0, ANY, true); // another thread may have inserted the key meanwhile
        return off < 0 ? off : off + FoldedHashLayout.VALUE_OFFSET;
    }

    /** Deletes an element by its 4- or 8-byte key: 0 or -ENOENT, as {@link BpfHashMap#deleteElem}. */
    @Override
    public int deleteElem(long key) {
        if (!typedKeys) {
            return -Errno.EINVAL;
        }
        if (readOnly) {
            return -Errno.EPERM;
        }
        return table.delete(key, null);
    }

    // ---- map-in-map -----------------------------------------------------------------------------------------

    /** As the kernel's: type, key and value size and flags must match; max_entries may differ. */
    @Override
    public boolean metaEqual(BpfMap candidate) {
        return baseMetaEqual(candidate);
    }
}
