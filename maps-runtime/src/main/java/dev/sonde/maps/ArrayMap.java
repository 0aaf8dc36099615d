package dev.sonde.maps;

/**
 * {@code BPF_MAP_TYPE_ARRAY} and {@code BPF_MAP_TYPE_PERCPU_ARRAY}, as {@code kernel/bpf/arraymap.c}: 4-byte
 * index keys, every element preallocated and zeroed, delete is -EINVAL. Memory as in {@link ArrayLayout}.
 *
 * <p>Per-shard arrays: the {@code byte[]} calls read and write one value per shard, each padded to 8 bytes
 * (the kernel's per-CPU convention); typed accessors touch only the calling thread's shard.
 *
 * <p>Concurrency: elements are updated in place. The typed {@code addLong}/{@code addInt} are atomic; a
 * {@code byte[]} update writes each aligned 8-byte word whole ({@link WordCopy}), and a value larger than 8
 * bytes may be seen half-updated, as with the kernel's arrays without {@code BPF_F_LOCK}.
 */
public final class ArrayMap extends ValueMap {
    /** {@code BPF_F_NUMA_NODE}: accepted and ignored (the JVM places the mapping). */
    public static final long F_NUMA_NODE = 1L << 2;
    /**
     * {@code BPF_F_INNER_MAP}: on an {@code ARRAY} used as an inner-map template, inner arrays of any
     * {@code max_entries} fit ({@code array_map_meta_equal}); refused on other types, as the kernel does.
     */
    public static final long F_INNER_MAP = 1L << 12;
    static final long F_ACCESS = MapSpec.F_RDONLY | MapSpec.F_WRONLY | MapSpec.F_RDONLY_PROG | MapSpec.F_WRONLY_PROG;
    /** The kernel's {@code PCPU_MIN_UNIT_SIZE}: the largest per-CPU value. */
    static final int PERCPU_MAX_VALUE = 32 * 1024;

    static final MapFactory FACTORY = new MapFactory() {
        @Override
        public void validate(MapSpec spec) {
            long allowed = F_NUMA_NODE | F_ACCESS | (spec.type() == MapType.ARRAY ? MapSpec.F_MMAPABLE | F_INNER_MAP : 0);
            checkArraySpec(spec, allowed);
            if (spec.type().perShard() && MapMemory.roundUp8(spec.valueSize()) > PERCPU_MAX_VALUE) {
                throw new SondeException(Errno.E2BIG, what(spec) + ": value_size " + spec.valueSize()
                        + " is over the per-shard limit of " + PERCPU_MAX_VALUE + " bytes; use a smaller value");
            }
        }

        @Override
        public long dataSize(MapSpec spec) {
            return ArrayLayout.dataSize(spec);
        }

        @Override
        public BpfMap create(MapSpec spec, int id, MapFile file) {
            return new ArrayMap(spec, id, file, false);
        }

        @Override
        public BpfMap open(MapSpec spec, MapFile file, boolean readOnly) {
            return new ArrayMap(spec, file.id(), file, readOnly);
        }
    };

    private static final int BASE = MapHeaderLayout.DATA_OFFSET;

    private final int entries;
    private final int elemSize;
    private final int shards;
    private final int shardSize;
    private final boolean perShard;

    private ArrayMap(MapSpec spec, int id, MapFile file, boolean readOnly) {
        super(spec, id, file, readOnly);
        this.entries = spec.maxEntries();
        this.elemSize = ArrayLayout.elemSize(spec.valueSize());
        this.shards = ArrayLayout.shards(spec.type(), spec.numShards());
        this.shardSize = (int) ArrayLayout.shardSize(spec.maxEntries(), spec.valueSize());
        this.perShard = spec.type().perShard();
        if ((long) BASE + (long) shards * shardSize > file.buffer().capacity()) {
            throw new SondeException(Errno.EINVAL, "map file " + file.path() + " is smaller than its " + shards + " x "
                    + shardSize + " bytes of elements; the file is damaged, recreate the map");
        }
    }

    /** Shards whose values the {@code byte[]} calls carry: {@code numShards} for a per-shard array, else 1. */
    public int shards() {
        return shards;
    }

    // ---- syscall-style calls -------------------------------------------------------------------------------

    @Override
    public int lookup(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        if (!canRead(this)) {
            return -Errno.EPERM;
        }
        long index = WordCopy.index(key);
        if (index >= entries) {
            return -Errno.ENOENT;
        }
        int at = BASE + (int) index * elemSize;
        if (!perShard) {
            WordCopy.fromMemory(mem, at, value, 0, spec.valueSize());
            return 0;
        }
        for (int s = 0; s < shards; s++) {
            WordCopy.fromMemory(mem, at + s * shardSize, value, s * elemSize, elemSize);
        }
        return 0;
    }

    @Override
    public int update(byte[] key, byte[] value, long flags) {
        checkKey(key);
        checkValue(value);
        if (!canWrite(this)) {
            return -Errno.EPERM;
        }
        long index = WordCopy.index(key);
        int err = checkUpdate(flags, index, entries);
        if (err != 0) {
            return err;
        }
        int at = BASE + (int) index * elemSize;
        if (!perShard) {
            WordCopy.toMemory(mem, at, value, 0, spec.valueSize());
            return 0;
        }
        for (int s = 0; s < shards; s++) {
            WordCopy.toMemory(mem, at + s * shardSize, value, s * elemSize, elemSize);
        }
        return 0;
    }

    @Override
    public int delete(byte[] key) {
        checkKey(key);
        if (!canWrite(this)) {
            return -Errno.EPERM;
        }
        // array_map_delete_elem: every element exists for the map's whole life.
        return -Errno.EINVAL;
    }

    @Override
    public int getNextKey(byte[] keyOrNull, byte[] nextKey) {
        checkNextKey(keyOrNull, nextKey);
        return nextIndex(this, keyOrNull, nextKey, entries);
    }

    @Override
    public int lookupAndDelete(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        if (!canRead(this) || !canWrite(this)) {
            return -Errno.EPERM;
        }
        // map_lookup_and_delete_elem() only serves queues, stacks and hashes; arrays get -ENOTSUPP.
        return -Errno.ENOTSUPP;
    }

    // ---- typed accessors ------------------------------------------------------------------------------------

    @Override
    public long lookupElem(long key) {
        // One unsigned compare covers key < 0 too.
        if (Long.compareUnsigned(key, entries) >= 0) {
            return -Errno.ENOENT;
        }
        long h = BASE + key * elemSize;
        return perShard ? h + Shards.current(shards) * shardSize : h;
    }

    /** Element {@code index} of {@code shard}, for readers that sum a per-shard element over the shards. */
    public long shardElem(int shard, long index) {
        if (Long.compareUnsigned(index, entries) >= 0 || shard < 0 || shard >= shards) {
            return -Errno.ENOENT;
        }
        return BASE + (long) shard * shardSize + index * elemSize;
    }

    /** The sum of the 8-byte field at {@code offset} of element {@code index} over all shards. */
    public long sumLong(long index, int offset) {
        long sum = 0;
        for (int s = 0; s < shards; s++) {
            long h = shardElem(s, index);
            if (h < 0) {
                return 0;
            }
            sum += getLong(h, offset);
        }
        return sum;
    }

    @Override
    public boolean metaEqual(BpfMap candidate) {
        // array_map_meta_equal: an inner array must also have the template's max_entries, unless F_INNER_MAP.
        return baseMetaEqual(candidate) && (spec.hasFlag(F_INNER_MAP) || candidate.maxEntries() == maxEntries());
    }

    // ---- shared with ArrayOfMaps ---------------------------------------------------------------------------

    static String what(MapSpec spec) {
        return spec.name() == null ? spec.type().bpftoolName() + " map" : spec.type().bpftoolName() + " '" + spec.name() + "'";
    }

    /** array_map_alloc_check(): 4-byte keys, non-zero sizes, known flags, consistent access flags. */
    static void checkArraySpec(MapSpec spec, long allowedFlags) {
        String what = what(spec);
        if (spec.keySize() != 4) {
            throw new SondeException(Errno.EINVAL, what + ": key_size is " + spec.keySize()
                    + " but array keys are 4-byte indexes; set keySize(4)");
        }
        if (spec.valueSize() == 0) {
            throw new SondeException(Errno.EINVAL, what + ": value_size is 0; set valueSize(n) with n > 0");
        }
        if (spec.maxEntries() == 0) {
            throw new SondeException(Errno.EINVAL, what + ": max_entries is 0; set maxEntries(n) with n > 0");
        }
        long unknown = spec.flags() & ~allowedFlags;
        if (unknown != 0) {
            throw new SondeException(Errno.EINVAL, what + ": flags 0x" + Long.toHexString(unknown)
                    + " are not valid for this map type; allowed are 0x" + Long.toHexString(allowedFlags));
        }
        if (spec.hasFlag(MapSpec.F_RDONLY) && spec.hasFlag(MapSpec.F_WRONLY)
                || spec.hasFlag(MapSpec.F_RDONLY_PROG) && spec.hasFlag(MapSpec.F_WRONLY_PROG)) {
            throw new SondeException(Errno.EINVAL, what + ": read-only and write-only flags together make the map "
                    + "useless; keep at most one of F_RDONLY/F_WRONLY and one of F_RDONLY_PROG/F_WRONLY_PROG");
        }
    }

    /** array_map_update_elem()'s checks, in the kernel's order. */
    static int checkUpdate(long flags, long index, int entries) {
        if ((flags & F_LOCK) != 0) {
            // map_update_elem(): F_LOCK needs a bpf_spin_lock in the value, which Sonde values never have.
            return -Errno.EINVAL;
        }
        if (flags > EXIST) {
            return -Errno.EINVAL;
        }
        if (index >= entries) {
            return -Errno.E2BIG;
        }
        if (flags == NOEXIST) {
            return -Errno.EEXIST;
        }
        return 0;
    }

    /** array_map_get_next_key(): an absent or out-of-range key restarts at 0; the last index ends. */
    static int nextIndex(BpfMap map, byte[] keyOrNull, byte[] nextKey, int entries) {
        if (!canRead(map)) {
            return -Errno.EPERM;
        }
        long index = keyOrNull == null ? 0xFFFF_FFFFL : WordCopy.index(keyOrNull);
        if (index >= entries) {
            WordCopy.putIndex(nextKey, 0);
            return 0;
        }
        if (index == entries - 1) {
            return -Errno.ENOENT;
        }
        WordCopy.putIndex(nextKey, (int) index + 1);
        return 0;
    }

    /** map_get_sys_perms(): a write-only map cannot be read through the syscall-style calls. */
    static boolean canRead(BpfMap map) {
        return (map.flags() & MapSpec.F_WRONLY) == 0;
    }

    /** Read-only by flag or because the map was opened read-only from its file. */
    static boolean canWrite(BpfMap map) {
        return (map.flags() & MapSpec.F_RDONLY) == 0 && !map.readOnly();
    }
}
