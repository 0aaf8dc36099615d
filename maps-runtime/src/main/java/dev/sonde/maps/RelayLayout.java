package dev.sonde.maps;

/**
 * The relay shard file {@code <sonde dir>/<pid>/relay/<base>#<n>}, format version {@link #VERSION}. Stable: a
 * new version only adds fields in reserved bytes. All integers little-endian; every atomic word 8-byte aligned.
 *
 * <pre>
 *  file: [ file header, 128 B ][ sub-buffer 0 ][ sub-buffer 1 ] ... [ sub-buffer n_subbufs-1 ]
 *
 *  file header
 *   0 magic "SONDERLY" u64 | 8 version u32 | 12 header_size u32 (128)
 *  16 subbuf_size u32      | 20 n_subbufs u32 | 24 shard u32 | 28 num_shards u32
 *  32 flags u32 (bit 0: overwrite, bit 1: coarse clock, bit 2: private shards; a file whose shard is at least
 *     num_shards is the private file of shard (shard - num_shards), written by one thread at a time)
 *  36 subbuf_header_size u32 (32) | 40 pid u64
 *  48 clock_base u64: epoch ns minus the writer's System.nanoTime() when the file was made
 *  56 consumed u64: sub-buffers a reader released (no-overwrite mode reuses only those)
 *  64 pos u64: write position, a logical byte count; lap = pos / subbuf_size, slot = lap % n_subbufs
 *  72 overwritten u64: sub-buffers reused before anyone read them (overwrite mode)
 *  80 dropped u64: writes refused (no-overwrite buffer full, or slot still held by a writer)
 *  88 map_id u32 | 92 record_header_size u32 (16) | 96..128 reserved, zero
 *
 *  sub-buffer (subbuf_size bytes, a power of two)
 *  +---------------------------------------------------------------------------------+
 *  | 0 seq u64: lap + 1 (0: never used), set when the lap starts | 8 reserved u64      |
 *  | 16 padding u32: zero bytes closing the lap | 20 closed u32: (lap + 1) as u32, set   |
 *  |   with padding in one 8-byte store when the lap closes; padding counts only then  |
 *  | 24 start u64: nanoTime (or the coarse clock) when the lap began                   |
 *  +------------------+--------------+------------------+--------------+-------------+
 *  | record header 16 | payload ...  | record header 16 | payload ...  | 0 0 0 (pad) |
 *  +------------------+--------------+------------------+--------------+-------------+
 *
 *  record header
 *   0 u32 length of the payload (bits 0..29) | bit 30 DISCARD | bit 31 BUSY (reserved, not committed)
 *   4 u32 stamp: a hash of (lap, offset in the sub-buffer) with bit 0 set, see stamp(); a header whose
 *     stamp differs is stale bytes from an older lap or a claim whose writer has not written it yet
 *   8 u64 timestamp: the writer's System.nanoTime() (flag bit 1: a clock cached every 1 ms while writes are
 *     fast); add clock_base for epoch ns
 *  16 payload, then zero bytes up to the next multiple of 8
 * </pre>
 *
 * A record never straddles sub-buffers: a record that does not fit closes the sub-buffer, whose tail becomes
 * zero padding. So {@code cat} prints text records as written, with a 32-byte header per sub-buffer, a 16-byte
 * header per record and NUL bytes (invisible on a terminal) between them.
 *
 * <p>Writing: a CAS moves {@code pos} past the record (or to the next lap's first record, and the winner then
 * closes the old lap: padding zeroed, then the close word); the header's length with BUSY and the stamp go in
 * one u64 store, with the timestamp and a zero u64 over the payload's last word (its padding), plain stores;
 * then the payload; commit stores the length without BUSY (release), publishing all of them. {@code output}, which
 * has the whole payload at hand, writes payload and timestamp first and then length and stamp in one release store,
 * never BUSY: until then its claim has no header, a state readers handle anyway (below). A slot is reused only when
 * every record of the lap it holds is committed (a walk over that lap's headers), so a writer stalled inside a
 * record is never overwritten: the write that would need its slot fails with EBUSY instead. A private file (flag
 * bit 2, shard at least num_shards) has one writer at a time, which moves {@code pos} within a lap with a plain
 * store instead of the CAS; a lap switch is still a CAS, and the record protocol is the same.
 *
 * <p>Reading: a record counts when its stamp matches its (lap, offset) and BUSY is clear. A live file is copied
 * 8 bytes at a time, oldest sub-buffer first, reading {@code pos} before and again after each sub-buffer (a
 * seqlock per sub-buffer); a lap at or below {@code lap(pos after its copy) - n_subbufs} may have been reused
 * during its copy and is left out. After a SIGKILL, a BUSY record or a claim without a header is skipped and
 * counted; everything committed before it is read.
 */
public final class RelayLayout {
    /** "SONDERLY" read as a little-endian u64. */
    public static final long MAGIC = 0x594C5245444E4F53L;
    public static final int VERSION = 1;

    public static final int FILE_HEADER_SIZE = 128;
    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int HEADER_SIZE_OFFSET = 12;
    public static final int SUBBUF_SIZE_OFFSET = 16;
    public static final int N_SUBBUFS_OFFSET = 20;
    public static final int SHARD_OFFSET = 24;
    public static final int NUM_SHARDS_OFFSET = 28;
    public static final int FLAGS_OFFSET = 32;
    public static final int SUBBUF_HEADER_SIZE_OFFSET = 36;
    public static final int PID_OFFSET = 40;
    public static final int CLOCK_BASE_OFFSET = 48;
    public static final int CONSUMED_OFFSET = 56;
    public static final int POS_OFFSET = 64;
    public static final int OVERWRITTEN_OFFSET = 72;
    public static final int DROPPED_OFFSET = 80;
    public static final int MAP_ID_OFFSET = 88;
    public static final int RECORD_HEADER_SIZE_OFFSET = 92;
    public static final int FLAG_OVERWRITE = 1;
    public static final int FLAG_COARSE_CLOCK = 2;
    /** The map has a private file per shard; a file whose shard is at least num_shards is one of those. */
    public static final int FLAG_PRIVATE_SHARDS = 4;

    public static final int SUBBUF_HEADER_SIZE = 32;
    public static final int SB_SEQ_OFFSET = 0;
    public static final int SB_PADDING_OFFSET = 16;
    /** padding (low half) and closed (high half) as one u64, written together with release. */
    public static final int SB_CLOSE_OFFSET = 16;
    public static final int SB_CLOSED_OFFSET = 20;
    public static final int SB_START_OFFSET = 24;

    public static final int RECORD_HEADER_SIZE = 16;
    public static final int REC_LEN_OFFSET = 0;
    public static final int REC_STAMP_OFFSET = 4;
    public static final int REC_TIME_OFFSET = 8;
    public static final int BUSY = 1 << 31;
    public static final int DISCARD = 1 << 30;
    public static final int LEN_MASK = DISCARD - 1;

    /** Smallest sub-buffer: room for the headers and a useful record. */
    public static final int MIN_SUBBUF_SIZE = 256;
    /** Largest shard file: one {@code ByteBuffer} maps it, and offsets stay below {@link #HANDLE_TAG}. */
    public static final long MAX_FILE_SIZE = 1L << 30;
    /**
     * Set in every record handle's low word: {@code handle = shard << 32 | HANDLE_TAG | payload offset}. It keeps
     * a relay handle from ever addressing a map file by mistake (its offset is past any header page).
     */
    public static final int HANDLE_TAG = 1 << 30;

    /**
     * The map file ({@code maps/<name>}, no data area) points to its shard files through the base name kept in
     * its type area, and holds the shards' counters as of the last flush or snapshot (the live counters stay in
     * each shard file's header, off every other thread's cache line):
     * <pre>
     *  512 base_len u32 | 516 base name, 64 bytes UTF-8, zero padded | 580 renames u32
     *  584 overwritten u64 | 592 dropped u64 | 600 bytes claimed u64 (sum of the write positions)
     * </pre>
     */
    public static final int MAP_BASE_LEN_OFFSET = MapHeaderLayout.TYPE_AREA_OFFSET;
    public static final int MAP_BASE_OFFSET = MAP_BASE_LEN_OFFSET + 4;
    public static final int MAP_RENAMES_OFFSET = MAP_BASE_OFFSET + 64;
    public static final int MAP_OVERWRITTEN_OFFSET = MAP_RENAMES_OFFSET + 4;
    public static final int MAP_DROPPED_OFFSET = MAP_OVERWRITTEN_OFFSET + 8;
    public static final int MAP_BYTES_OFFSET = MAP_DROPPED_OFFSET + 8;
    /** The rename update's key (4 bytes, index 0) and value (the base name, UTF-8, zero padded) sizes. */
    public static final int KEY_SIZE = 4;
    public static final int NAME_VALUE_SIZE = 64;

    private RelayLayout() {
    }

    /** Offset in the file of slot {@code slot}'s sub-buffer header. */
    public static long subbufOffset(int slot, int subbufSize) {
        return FILE_HEADER_SIZE + (long) slot * subbufSize;
    }

    /**
     * The lap a write position is in. A position exactly at a sub-buffer boundary still belongs to the lap it
     * filled (offset {@code subbuf_size}), since the next lap has not started: hence {@code pos - 1}.
     */
    public static long lapOf(long pos, int subbufSize) {
        return (pos - 1) / subbufSize;
    }

    /** The offset of a write position inside its lap's sub-buffer, in {@code (0, subbuf_size]}. */
    public static int offsetOf(long pos, int subbufSize) {
        return (int) (pos - lapOf(pos, subbufSize) * subbufSize);
    }

    /**
     * The stamp of a record header at {@code offset} in lap {@code lap}'s sub-buffer. A hash and not the bare lap,
     * so stale payload bytes of an older lap match it only with odds of 2^-31; bit 0 set so zeros never match.
     */
    public static int stamp(long lap, int offset) {
        return (int) (stampSum(lap, offset) >>> 32) | 1;
    }

    /** The stamp before its last step: {@link #stamp} is its top half with bit 0 set. */
    static long stampSum(long lap, int offset) {
        return (lap + 1) * 0x9E3779B97F4A7C15L + offset * STAMP_OFFSET_FACTOR;
    }

    /** What {@link #stampSum} grows by per byte of offset: a walk over a lap adds instead of multiplying. */
    static final long STAMP_OFFSET_FACTOR = 0xC2B2AE3D27D4EB4FL;

    /** Bytes of one record with a {@code size}-byte payload: header plus payload rounded up to 8. */
    public static int recordSize(int size) {
        return RECORD_HEADER_SIZE + ((size + 7) & ~7);
    }

    /** The close word of lap {@code lap}: its padding and its tag. */
    public static long closeWord(long lap, int padding) {
        return (lap + 1) << 32 | (padding & 0xFFFF_FFFFL);
    }

    public static long fileSize(int subbufSize, int nSubbufs) {
        return FILE_HEADER_SIZE + (long) subbufSize * nSubbufs;
    }

    /** {@code <base>#<shard>}, the kernel relay's {@code <base_filename><cpu>} with a separator. */
    public static String fileName(String base, int shard) {
        return base + "#" + shard;
    }
}
