package dev.sonde.maps;

/**
 * The first page of every map file: what the map is, so that {@link Maps#open} and the {@code sonde} CLI can
 * read a map without the JVM that made it. All integers little-endian; the layout is versioned by
 * {@link #VERSION} and only ever extended inside the reserved bytes.
 *
 * <pre>
 *  0               8              12             16             20             24
 *  +---------------+--------------+--------------+--------------+--------------+
 *  | magic "SONDEMAP" (u64)       | version u32  | type u32     | key_size u32 |
 *  +--------------+---------------+--------------+--------------+--------------+
 *  20 value_size u32 | 24 max_entries u32 | 28 num_shards u32 | 32 flags u64   |
 *  40 map_extra u64  | 48 id u32          | 52 data_offset u32 (= 4096)       |
 *  56 data_size u64  | 64 pid u64         | 72 created (epoch ns) u64         |
 *  80 name_len u32   | 84 name bytes (64, UTF-8, zero padded) ... 148          |
 *  148 .. 512  reserved, zero                                                  |
 *  512 .. 4096 type-specific control words (each type's *Layout says which)    |
 *  +---------------------------------------------------------------------------+
 *  4096: data area, data_size bytes, laid out by the type's *Layout class
 * </pre>
 */
public final class MapHeaderLayout {
    /** "SONDEMAP" read as a little-endian u64. */
    public static final long MAGIC = 0x50414D45444E4F53L;
    public static final int VERSION = 1;
    public static final int PAGE_SIZE = 4096;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int TYPE_OFFSET = 12;
    public static final int KEY_SIZE_OFFSET = 16;
    public static final int VALUE_SIZE_OFFSET = 20;
    public static final int MAX_ENTRIES_OFFSET = 24;
    public static final int NUM_SHARDS_OFFSET = 28;
    public static final int FLAGS_OFFSET = 32;
    public static final int MAP_EXTRA_OFFSET = 40;
    public static final int ID_OFFSET = 48;
    public static final int DATA_OFFSET_OFFSET = 52;
    public static final int DATA_SIZE_OFFSET = 56;
    public static final int PID_OFFSET = 64;
    public static final int CREATED_OFFSET = 72;
    public static final int NAME_LEN_OFFSET = 80;
    public static final int NAME_OFFSET = 84;
    public static final int NAME_MAX = 64;
    /** First byte a type may use for its own control words (counters, positions, clocks). */
    public static final int TYPE_AREA_OFFSET = 512;
    /** Where the data area starts: one page in, so a type can page-align what it needs to. */
    public static final int DATA_OFFSET = PAGE_SIZE;

    private MapHeaderLayout() {
    }
}
