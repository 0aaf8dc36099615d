package dev.sonde.maps;

/**
 * Map types. {@link #code()} is the number stored in map files: the kernel's {@code bpf_map_type} value where
 * the kernel has the type, so a map file reads like {@code bpftool map show}.
 */
public enum MapType {
    HASH(1),
    ARRAY(2),
    PERCPU_HASH(5),
    PERCPU_ARRAY(6),
    LRU_HASH(9),
    ARRAY_OF_MAPS(12),
    HASH_OF_MAPS(13),
    STRUCT_OPS(26),
    RINGBUF(27),
    /** Not in the kernel (the proposal was not merged): a Sonde-only code. */
    RELAY(0x100);

    private final int code;

    MapType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** True for the per-shard ("per-CPU") types whose values hold one slot per shard. */
    public boolean perShard() {
        return this == PERCPU_ARRAY || this == PERCPU_HASH;
    }

    public static MapType fromCode(int code) {
        for (MapType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** bpftool's spelling: {@code percpu_array}, {@code lru_hash}. */
    public String bpftoolName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
