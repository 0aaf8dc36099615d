package dev.sonde.maps;

/**
 * The data area of {@code ARRAY}, {@code PERCPU_ARRAY} and {@code ARRAY_OF_MAPS}, after the header page of
 * {@link MapHeaderLayout}. Every element exists from creation (zeroed); an element is {@code value_size} bytes
 * padded to {@code elem_size = round_up(value_size, 8)}, as the kernel's {@code bpf_array}, so that every
 * element starts 8-byte aligned and atomic adds on its 8-byte fields work.
 *
 * <pre>
 *  4096 = data_offset
 *  +--------------------+--------------------+-----+--------------------------+---------+
 *  | shard 0: elem 0    | elem 1             | ... | elem max_entries-1       | pad->64 |
 *  +--------------------+--------------------+-----+--------------------------+---------+
 *  | shard 1: elem 0    | elem 1             | ... | elem max_entries-1       | pad->64 |
 *  +--------------------+--------------------+-----+--------------------------+---------+
 *  | ... num_shards blocks for PERCPU_ARRAY; exactly one block for ARRAY and ARRAY_OF_MAPS |
 *  +--------------------------------------------------------------------------------------+
 *
 *  elem:        | value (value_size bytes) | zero padding to elem_size |
 *  shard_size = round_up(max_entries * elem_size, 64)    (shards never share a cache line)
 *  elem(s, i) = 4096 + s * shard_size + i * elem_size
 *  ARRAY_OF_MAPS: value_size 4, the u32 id of the inner map, 0 for an empty slot.
 * </pre>
 *
 * Shard-major, so that one shard's elements are contiguous: a thread's writes stay in its own block and a
 * reader sums one element over the shards by striding {@code shard_size}.
 */
public final class ArrayLayout {
    /** Shard blocks are padded to this so two shards never share a cache line. */
    public static final int SHARD_ALIGNMENT = 64;

    private ArrayLayout() {
    }

    public static int elemSize(int valueSize) {
        return MapMemory.roundUp8(valueSize);
    }

    public static long shardSize(int maxEntries, int valueSize) {
        return MapMemory.roundUp((long) maxEntries * elemSize(valueSize), SHARD_ALIGNMENT);
    }

    /** Blocks in the data area: {@code numShards} for per-shard arrays, else one. */
    public static int shards(MapType type, int numShards) {
        return type.perShard() ? numShards : 1;
    }

    public static long dataSize(MapSpec spec) {
        return shards(spec.type(), spec.numShards()) * shardSize(spec.maxEntries(), spec.valueSize());
    }

    /** Absolute offset of element {@code index} of {@code shard}. */
    public static long elemOffset(int shard, long index, int maxEntries, int valueSize) {
        return MapHeaderLayout.DATA_OFFSET + shard * shardSize(maxEntries, valueSize) + index * elemSize(valueSize);
    }
}
