package dev.sonde.maps;

/**
 * {@code HASH}, {@code PERCPU_HASH} and {@code LRU_HASH}: the semantics of {@code kernel/bpf/hashtab.c} over the
 * lock-free table of {@link HashTable} ({@link HashLayout} has the memory). Per-shard values follow the kernel's
 * per-CPU hash: a {@code byte[]} value holds one 8-byte-rounded value per shard, a typed handle points into the
 * calling thread's shard.
 */
final class BpfHashMap extends HashValueMap {
    private final HashTable table;
    private final int shards;
    /** Bytes between two shards' copies of a value: one value rounded up to 8 for PERCPU_HASH, else 0. */
    private final int shardStride;
    /** A program's lookup marks the element used: LRU_HASH only, and not in a map opened read-only. */
    private final boolean touches;
    /** The value's offset in a slot (HashLayout.valueOffset). */
    private final int valueOff;
    /**
     * A typed lookup is the table's and nothing more: 4- or 8-byte keys, no LRU mark, no shard. One field and one
     * branch on the hot path instead of three of each: a 1024-key get 139 -> 154 ops/µs (benchmarks/README.md).
     */
    private final boolean plainTyped;

    BpfHashMap(MapSpec spec, int id, MapFile file, boolean readOnly) {
        super(spec, id, file, readOnly);
        this.table = new HashTable(mem, spec.keySize(), spec.maxEntries(), spec.type() == MapType.LRU_HASH,
                HashFactory.perShardLru(spec) ? spec.numShards() : 0);
        boolean perShard = spec.type().perShard();
        this.shards = perShard ? spec.numShards() : 1;
        this.shardStride = perShard ? MapMemory.roundUp8(spec.valueSize()) : 0;
        // A reader from another process leaves the LRU order alone (and cannot write).
        this.touches = spec.type() == MapType.LRU_HASH && !readOnly;
        this.valueOff = table.valueOffset();
        this.plainTyped = typedKeys && !touches && shardStride == 0;
    }

    @Override
    long count() {
        return table.count();
    }

    // ---- syscall-style calls -------------------------------------------------------------------------------

    @Override
    int lookupValue(byte[] key, byte[] value) {
        return table.lookup(key, value);
    }

    @Override
    int updateValue(byte[] key, byte[] value, long flags) {
        int r = table.update(key, 0, value, flags);
        return r < 0 ? r : 0;
    }

    @Override
    int deleteValue(byte[] key, byte[] valueOrNull) {
        return table.delete(key, 0, valueOrNull);
    }

    @Override
    int nextKey(byte[] keyOrNull, byte[] nextKey) {
        return table.getNextKey(keyOrNull, nextKey);
    }

    // ---- typed accessors -------------------------------------------------------------------------------------

    @Override
    public long lookupElem(long key) {
        long value = valueOff; // before the lookup: after its acquire fences the JIT would load it again
        if (plainTyped) {
            int off = table.findLong(key);
            return off < 0 ? -Errno.ENOENT : off + value;
        }
        return lookupElemMarked(key);
    }

    /** lookupElem of an LRU or per-shard map, or of keys that are not 4 or 8 bytes (-EINVAL). */
    private long lookupElemMarked(long key) {
        if (!typedKeys) {
            return -Errno.EINVAL;
        }
        // Fields into locals before the lookup: after its acquire fences the JIT would load each of them again.
        boolean touch = touches;
        long value = valueOff;
        int stride = shardStride;
        int off = table.findLong(key);
        return off < 0 ? -Errno.ENOENT : found(off, touch, value, stride);
    }

    @Override
    public long lookupOrInitElem(long key) {
        long h = lookupElem(key); // a hit is a lookup's, LRU mark included; -EINVAL passes through
        return h != -Errno.ENOENT ? h : insertElem(key);
    }

    /** lookupOrInitElem's miss: inserts a zeroed value (another thread may have inserted the key meanwhile). */
    private long insertElem(long key) {
        if (readOnly) {
            return -Errno.EPERM;
        }
        int off = table.update(null, key, null, ANY);
        return off < 0 ? off : found(off, false, valueOff, shardStride); // just inserted: already marked new
    }

    /**
     * The handle of the element a program's lookup found at slot {@code off}, marked used if {@code touch}: the
     * value at {@code value} in the slot, the calling thread's copy of it when {@code stride} is not 0.
     */
    private long found(int off, boolean touch, long value, int stride) {
        if (touch) {
            table.touch(off);
        }
        long h = off + value;
        return stride == 0 ? h : h + (long) Shards.current(shards) * stride;
    }

    /** Deletes an element by its 4- or 8-byte key: 0 or -ENOENT. */
    @Override
    public int deleteElem(long key) {
        if (!typedKeys) {
            return -Errno.EINVAL;
        }
        if (readOnly) {
            return -Errno.EPERM;
        }
        return table.delete(null, key, null);
    }

    // ---- map-in-map -----------------------------------------------------------------------------------------

    /** As the kernel's: type, key and value size and flags must match; max_entries may differ. */
    @Override
    public boolean metaEqual(BpfMap candidate) {
        return baseMetaEqual(candidate);
    }
}
