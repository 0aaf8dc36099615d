package dev.sonde.maps;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What {@code bpf(BPF_MAP_CREATE)} takes: type, name, sizes, entries, flags, {@code map_extra}, and for
 * map-in-map the inner-map template. Built with {@link #builder(MapType)}; the checks every type shares run in
 * {@link Builder#build()}, the checks a type adds run when {@link Maps#create(MapSpec)} makes the map, before
 * anything touches the disk.
 */
public final class MapSpec {
    /** {@code BPF_F_NO_PREALLOC}: accepted by hashes for compatibility; Sonde always preallocates. */
    public static final long F_NO_PREALLOC = 1L;
    /** {@code BPF_F_NO_COMMON_LRU}: an LRU hash with one LRU list per shard. */
    public static final long F_NO_COMMON_LRU = 1L << 1;
    /** {@code BPF_F_RDONLY}: the syscall side may only read. */
    public static final long F_RDONLY = 1L << 3;
    /** {@code BPF_F_WRONLY}: the syscall side may only write. */
    public static final long F_WRONLY = 1L << 4;
    /** {@code BPF_F_ZERO_SEED}: hash with a zero seed, for reproducible iteration order in tests. */
    public static final long F_ZERO_SEED = 1L << 6;
    /** {@code BPF_F_RDONLY_PROG}: programs may only read. */
    public static final long F_RDONLY_PROG = 1L << 7;
    /** {@code BPF_F_WRONLY_PROG}: programs may only write. */
    public static final long F_WRONLY_PROG = 1L << 8;
    /** {@code BPF_F_MMAPABLE}: accepted by arrays; every Sonde map is memory-mapped. */
    public static final long F_MMAPABLE = 1L << 10;
    /** {@code BPF_F_RB_OVERWRITE}: a full ringbuf overwrites its oldest records instead of failing. */
    public static final long F_RB_OVERWRITE = 1L << 19;
    /** Relay: a full buffer overwrites its oldest sub-buffer (the flight recorder). */
    public static final long F_RELAY_OVERWRITE = 1L << 20;
    /**
     * Relay: records carry a clock cached every 1 ms (as {@code bpf_ktime_get_coarse_ns()}) instead of a
     * System.nanoTime() call each, while the JVM's coarse relays write fast enough for the cache to pay off.
     */
    public static final long F_RELAY_COARSE_CLOCK = 1L << 21;
    /**
     * Relay: each shard also gets a private file, {@code <base>#<numShards + shard>}, which the first thread to
     * fill a whole sub-buffer of the shard alone keeps for as long as it lives and writes with no atomic
     * instruction, as the kernel's per-CPU relay buffers are written. Twice the files; the fastest writes.
     */
    public static final long F_RELAY_PRIVATE_SHARDS = 1L << 22;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.]{1,64}");

    private final MapType type;
    private final String name;
    private final int keySize;
    private final int valueSize;
    private final int maxEntries;
    private final long flags;
    private final long mapExtra;
    private final BpfMap innerMap;
    private final int numShards;
    private final List<Field> keySchema;
    private final List<Field> valueSchema;
    private final String structOps;

    private MapSpec(Builder b) {
        this.type = b.type;
        this.name = b.name;
        this.keySize = b.keySize;
        this.valueSize = b.valueSize;
        this.maxEntries = b.maxEntries;
        this.flags = b.flags;
        this.mapExtra = b.mapExtra;
        this.innerMap = b.innerMap;
        this.numShards = b.numShards == 0 ? Maps.numShards() : b.numShards;
        this.keySchema = Collections.unmodifiableList(new ArrayList<>(b.keySchema));
        this.valueSchema = Collections.unmodifiableList(new ArrayList<>(b.valueSchema));
        this.structOps = b.structOps;
    }

    public static Builder builder(MapType type) {
        return new Builder(type);
    }

    /** A builder holding this spec's settings, to derive a variant. */
    public Builder toBuilder() {
        Builder b = new Builder(type);
        b.name = name;
        b.keySize = keySize;
        b.valueSize = valueSize;
        b.maxEntries = maxEntries;
        b.flags = flags;
        b.mapExtra = mapExtra;
        b.innerMap = innerMap;
        b.numShards = numShards;
        b.keySchema.addAll(keySchema);
        b.valueSchema.addAll(valueSchema);
        b.structOps = structOps;
        return b;
    }

    public MapType type() { return type; }
    /** The map's name, or null when {@link Maps#create} is to name it {@code <type>_<id>}. */
    public String name() { return name; }
    public int keySize() { return keySize; }
    public int valueSize() { return valueSize; }
    public int maxEntries() { return maxEntries; }
    public long flags() { return flags; }
    public long mapExtra() { return mapExtra; }
    public BpfMap innerMap() { return innerMap; }
    /** Shards for the per-shard types and the relay; {@link Maps#numShards()} unless set. */
    public int numShards() { return numShards; }
    public List<Field> keySchema() { return keySchema; }
    public List<Field> valueSchema() { return valueSchema; }
    /** STRUCT_OPS: the subsystem the map registers into (the kernel's {@code btf_vmlinux_value_type_id}), else null. */
    public String structOps() { return structOps; }

    /** Relay: bytes per sub-buffer, the low 32 bits of {@code map_extra} as in the relay map proposal. */
    public int subbufSize() { return (int) mapExtra; }
    /** Relay: sub-buffers per shard, the high 32 bits of {@code map_extra}. */
    public int nSubbufs() { return (int) (mapExtra >>> 32); }

    public boolean hasFlag(long flag) {
        return (flags & flag) != 0;
    }

    @Override
    public String toString() {
        return "MapSpec{" + type.bpftoolName() + " '" + name + "' key " + keySize + " value " + valueSize
                + " max_entries " + maxEntries + " flags 0x" + Long.toHexString(flags) + "}";
    }

    /** Builder in the OpenTelemetry SDK's style: setters return the builder; {@link #build()} validates. */
    public static final class Builder {
        private final MapType type;
        private String name;
        private int keySize;
        private int valueSize;
        private int maxEntries;
        private long flags;
        private long mapExtra;
        private BpfMap innerMap;
        private int numShards;
        private final List<Field> keySchema = new ArrayList<>();
        private final List<Field> valueSchema = new ArrayList<>();
        private String structOps;

        private Builder(MapType type) {
            this.type = Objects.requireNonNull(type, "type");
        }

        public Builder name(String name) { this.name = name; return this; }
        public Builder keySize(int keySize) { this.keySize = keySize; return this; }
        public Builder valueSize(int valueSize) { this.valueSize = valueSize; return this; }
        public Builder maxEntries(int maxEntries) { this.maxEntries = maxEntries; return this; }
        public Builder flags(long flags) { this.flags = flags; return this; }
        public Builder mapExtra(long mapExtra) { this.mapExtra = mapExtra; return this; }
        public Builder innerMap(BpfMap innerMap) { this.innerMap = innerMap; return this; }
        /** Shards of a per-shard map or relay; must be a power of two. */
        public Builder numShards(int numShards) { this.numShards = numShards; return this; }
        /** STRUCT_OPS: the name of the {@link StructOpsType} the map's value describes. */
        public Builder structOps(String typeName) { this.structOps = typeName; return this; }

        /** Relay: bytes per sub-buffer; kept in {@code map_extra}'s low 32 bits. */
        public Builder subbufSize(int subbufSize) {
            this.mapExtra = (mapExtra & 0xFFFF_FFFF_0000_0000L) | (subbufSize & 0xFFFF_FFFFL);
            return this;
        }

        /** Relay: sub-buffers per shard; kept in {@code map_extra}'s high 32 bits. */
        public Builder nSubbufs(int nSubbufs) {
            this.mapExtra = (mapExtra & 0xFFFF_FFFFL) | ((long) nSubbufs << 32);
            return this;
        }

        /** A named field of the key, for typed dumps. */
        public Builder keyField(String name, FieldType type, int offset, int size) {
            keySchema.add(new Field(name, type, offset, size));
            return this;
        }

        /** A named field of the value, for typed dumps and metrics. */
        public Builder valueField(String name, FieldType type, int offset, int size) {
            valueSchema.add(new Field(name, type, offset, size));
            return this;
        }

        public MapSpec build() {
            if (name != null && !NAME.matcher(name).matches()) {
                throw new SondeException(Errno.EINVAL, "map name '" + name + "' is invalid: use 1 to 64 letters, "
                        + "digits, '_' or '.'");
            }
            String what = name == null ? type.bpftoolName() + " map" : "map '" + name + "'";
            if (keySize < 0 || valueSize < 0 || maxEntries < 0) {
                throw new SondeException(Errno.EINVAL, what + ": key_size " + keySize + ", value_size " + valueSize
                        + " and max_entries " + maxEntries + " must not be negative");
            }
            if (numShards < 0 || (numShards != 0 && Integer.bitCount(numShards) != 1)) {
                throw new SondeException(Errno.EINVAL, what + ": numShards " + numShards
                        + " must be a power of two (or 0 for Maps.numShards())");
            }
            checkSchema(what, "key", keySchema, keySize);
            checkSchema(what, "value", valueSchema, valueSize);
            return new MapSpec(this); // numShards 0 becomes Maps.numShards() there
        }

        private static void checkSchema(String what, String part, List<Field> fields, int size) {
            for (Field f : fields) {
                if ((long) f.offset() + f.size() > size) {
                    throw new SondeException(Errno.EINVAL, what + ": " + part + " field '" + f.name() + "' ends at byte "
                            + (f.offset() + f.size()) + ", past the " + part + " size " + size
                            + "; fix the field's offset or the " + part + " size");
                }
            }
        }
    }
}
