package dev.sonde.maps;

import static dev.sonde.maps.HashLayout.*;

import java.util.SplittableRandom;

/** Makes and opens {@code HASH}, {@code PERCPU_HASH} and {@code LRU_HASH} maps, with the kernel's checks. */
final class HashFactory implements MapFactory {
    static final HashFactory INSTANCE = new HashFactory();

    /** HTAB_CREATE_FLAG_MASK without BPF_F_NUMA_NODE (no NUMA placement here). */
    private static final long CREATE_FLAGS = MapSpec.F_NO_PREALLOC | MapSpec.F_NO_COMMON_LRU | MapSpec.F_RDONLY
            | MapSpec.F_WRONLY | MapSpec.F_RDONLY_PROG | MapSpec.F_WRONLY_PROG | MapSpec.F_ZERO_SEED;

    private HashFactory() {
    }

    @Override
    public void validate(MapSpec spec) {
        String what = "map '" + (spec.name() == null ? spec.type().bpftoolName() : spec.name()) + "'";
        boolean lru = spec.type() == MapType.LRU_HASH;
        long unknown = spec.flags() & ~CREATE_FLAGS;
        if (unknown != 0) {
            throw new SondeException(Errno.EINVAL, what + ": flags 0x" + Long.toHexString(unknown) + " are not valid "
                    + "for a " + spec.type().bpftoolName() + " map; use F_NO_PREALLOC, F_ZERO_SEED, F_RDONLY/F_WRONLY"
                    + (lru ? " or F_NO_COMMON_LRU" : ""));
        }
        if (spec.hasFlag(MapSpec.F_RDONLY) && spec.hasFlag(MapSpec.F_WRONLY)
                || spec.hasFlag(MapSpec.F_RDONLY_PROG) && spec.hasFlag(MapSpec.F_WRONLY_PROG)) {
            throw new SondeException(Errno.EINVAL, what + ": read-only and write-only flags together leave no access; "
                    + "set at most one of F_RDONLY/F_WRONLY and of F_RDONLY_PROG/F_WRONLY_PROG");
        }
        if (!lru && spec.hasFlag(MapSpec.F_NO_COMMON_LRU)) {
            throw new SondeException(Errno.EINVAL, what + ": F_NO_COMMON_LRU only applies to lru_hash maps; drop it");
        }
        if (lru && spec.hasFlag(MapSpec.F_NO_PREALLOC)) {
            throw new SondeException(Errno.ENOTSUPP, what + ": an lru_hash map is always preallocated, as in the "
                    + "kernel; drop F_NO_PREALLOC");
        }
        if (spec.maxEntries() == 0 || spec.keySize() == 0 || spec.valueSize() == 0) {
            throw new SondeException(Errno.EINVAL, what + ": key_size " + spec.keySize() + ", value_size "
                    + spec.valueSize() + " and max_entries " + spec.maxEntries() + " must all be above 0; set each to at least 1");
        }
        if (spec.keySize() > MAX_KEY_SIZE) {
            throw new SondeException(Errno.E2BIG, what + ": key_size " + spec.keySize() + " is above "
                    + MAX_KEY_SIZE + "; hash a long key into a shorter one");
        }
        if (spec.type().perShard() && MapMemory.roundUp8(spec.valueSize()) > MAX_PERCPU_VALUE_SIZE) {
            throw new SondeException(Errno.E2BIG, what + ": a per-shard value of " + spec.valueSize()
                    + " bytes is above " + MAX_PERCPU_VALUE_SIZE + "; use a smaller value or a plain hash");
        }
        if (capacity(spec.maxEntries()) > MAX_CAPACITY || dataSize(spec) > Integer.MAX_VALUE) {
            throw new SondeException(Errno.E2BIG, what + ": max_entries " + spec.maxEntries() + " with "
                    + spec.valueSize() + "-byte values needs " + dataSize(spec) + " bytes, more than one map file "
                    + "holds; lower max_entries or the value size");
        }
    }

    /**
     * As htab_map_alloc for BPF_F_NO_COMMON_LRU: max_entries rounded up to a multiple of the shards (down if that
     * overflows), so that every shard's LRU holds the same number of elements.
     */
    @Override
    public MapSpec adjust(MapSpec spec) {
        if (!perShardLru(spec) || spec.maxEntries() % spec.numShards() == 0) {
            return spec;
        }
        long up = ((long) spec.maxEntries() + spec.numShards() - 1) / spec.numShards() * spec.numShards();
        long entries = up <= Integer.MAX_VALUE ? up : (long) spec.maxEntries() / spec.numShards() * spec.numShards();
        return spec.toBuilder().maxEntries((int) entries).build();
    }

    /**
     * Whether a new map gets hash format 3 ({@link FoldedHashLayout}): a plain HASH whose keys and values fit one
     * word each, unless {@code -Dsonde.hashFormat=2} asks for format 2 for every new map (a way back while format 3
     * is new; maps already made keep the format their file has).
     */
    static boolean folded(MapSpec spec) {
        return fitsFolded(spec) && !"2".equals(System.getProperty(HASH_FORMAT_PROPERTY));
    }

    static final String HASH_FORMAT_PROPERTY = "sonde.hashFormat";

    private static boolean fitsFolded(MapSpec spec) {
        return spec.type() == MapType.HASH && FoldedHashLayout.fits(spec.keySize(), spec.valueSize());
    }

    static boolean perShardLru(MapSpec spec) {
        return spec.type() == MapType.LRU_HASH && spec.hasFlag(MapSpec.F_NO_COMMON_LRU);
    }

    /** The per-shard LRU lines after the slots (HashLayout): none without F_NO_COMMON_LRU. */
    private static long lruShardBytes(MapSpec spec) {
        return perShardLru(spec) ? (long) spec.numShards() * LRU_SHARD_LINE : 0;
    }

    @Override
    public long dataSize(MapSpec spec) {
        if (folded(spec)) {
            return FoldedHashLayout.dataAreaSize(FoldedHashLayout.capacity(spec.maxEntries()));
        }
        int slots = spec.type().perShard() ? spec.numShards() : 1;
        return capacity(spec.maxEntries()) * slotSize(spec.keySize(), MapMemory.roundUp8(spec.valueSize()), slots)
                + lruShardBytes(spec);
    }

    @Override
    public BpfMap create(MapSpec spec, int id, MapFile file) {
        if (folded(spec)) {
            FoldedHashTable.format(file.buffer(), spec.keySize(), spec.valueSize(), spec.maxEntries(), seed(spec));
            return FoldedHashMap.of(spec, id, file, false, false);
        }
        format(spec, file);
        return new BpfHashMap(spec, id, file, false);
    }

    @Override
    public BpfMap open(MapSpec spec, MapFile file, boolean readOnly) {
        // The file says which format it is: a map made before format 3 keeps format 2.
        if (file.buffer().getInt(HASH_ALGO_OFFSET) == FoldedHashLayout.HASH_ALGO_FOLDED && fitsFolded(spec)) {
            return FoldedHashMap.of(spec, file.id(), file, readOnly, true); // its constructor checks the control words
        }
        checkFormat(spec, file);
        return new BpfHashMap(spec, file.id(), file, readOnly);
    }

    /** As htab_map_alloc: a random seed per map (hashrnd), zero with BPF_F_ZERO_SEED for reproducible layouts. */
    private static long seed(MapSpec spec) {
        return spec.hasFlag(MapSpec.F_ZERO_SEED) ? 0 : new SplittableRandom().nextLong();
    }

    /** Writes the control words of a new hash table (any hash type, HASH_OF_MAPS too). */
    static void format(MapSpec spec, MapFile file) {
        HashTable.format(file.buffer(), spec, seed(spec));
    }

    /** Checks that an existing file's control words describe the table this Sonde would build for the spec. */
    static void checkFormat(MapSpec spec, MapFile file) {
        java.nio.ByteBuffer b = file.buffer();
        int slots = spec.type().perShard() ? spec.numShards() : 1;
        int stride = MapMemory.roundUp8(spec.valueSize());
        long capacity = b.getInt(CAPACITY_OFFSET);
        long slotSize = b.getInt(SLOT_SIZE_OFFSET);
        int algo = b.getInt(HASH_ALGO_OFFSET);
        if ((algo != HASH_ALGO_FIB64_V2 && algo != HASH_ALGO_MIX64_V1) || capacity != capacity(spec.maxEntries())
                || slotSize != slotSize(spec.keySize(), stride, slots)
                || b.getInt(KEY_OFFSET_OFFSET) != KEY_OFFSET
                || b.getInt(VALUE_OFFSET_OFFSET) != valueOffset(spec.keySize())
                || capacity * slotSize + lruShardBytes(spec) > file.dataSize()) {
            throw new SondeException(Errno.EINVAL, "hash map file " + file.path() + " has control words this Sonde "
                    + "does not understand (hash algorithm " + b.getInt(HASH_ALGO_OFFSET) + ", capacity " + capacity
                    + "); read it with the Sonde release that wrote it");
        }
    }
}
