package dev.sonde.maps;

/**
 * The file layout of a {@link MapType#RINGBUF} map, after the common header page of {@link MapHeaderLayout}. It
 * follows {@code kernel/bpf/ringbuf.c}: a consumer-position page, a producer-position page, then the data area,
 * each page aligned so that another process maps the consumer page read-write and the rest read-only, as the
 * kernel lets user space map a ringbuf. Two areas follow that the kernel does not need:
 *
 * <ul>
 *   <li>the <b>mirror</b>: the kernel maps the data pages twice, back to back, so a record that wraps around the
 *   end is contiguous in memory. Java cannot choose where a mapping lands, so a producer writes a wrapping record
 *   straight on past the end of the data area into the mirror (its handle stays one contiguous range) and its
 *   commit copies the part past the end back to the start of the data area, where the kernel layout has it;</li>
 *   <li>the <b>sequence array</b>, one u64 per 8-byte slot of the data area, used by overwrite-mode rings only:
 *   the kernel writes a record's header and then moves the producer position, both under a spin lock. Sonde's
 *   producers never wait, so they claim space with a CAS on the producer position and write the header after it;
 *   between the two a reader could take the stale bytes of an older lap for a header. An overwrite-mode producer
 *   therefore stamps {@code position + 1} into the slot of its header once the header is written, and a header
 *   counts only when its slot holds its own position (positions never repeat, so a stale stamp never matches).</li>
 * </ul>
 *
 * <p>An ordinary ring needs no stamps: its one consumer <b>zeroes every record it consumes</b> (header, data and
 * padding, the part that wrapped too) before it gives the space back, so a header word still zero is "not
 * written yet": a real header is never zero, its {@code pg_off} is at least 2. Stamps cost the producer a store
 * and the consumer a load, each on a cache line the other side writes; zeroes are stores into lines the consumer
 * has just read. That is protocol {@link #PROTOCOL_ZEROED}, the word at {@link #PROTOCOL_OFFSET}: files written
 * before it (word 0) are refused, since their consumers left stale headers behind.
 *
 * <pre>
 *  file offset
 *  0        header page (MapHeaderLayout); counters in the type area, each u64 on a cache line of its own:
 *           512, 576 reserved (zero) | 640 overwritten_bytes | 704 wakeups
 *           768 + 64 * s, s < 16: dropped_records stripe s | 1792 + 64 * s: discarded_records stripe s
 *           (a record count is the sum of its 16 stripes; producers add to stripe thread id & 15, so
 *           threads failing on a full ring together do not fight over one line)
 *           2816 protocol u32: 1 = ordinary rings are zeroed by their consumer (see below)
 *  4096     +-------------------------------------------------------------+
 *           | consumer_pos u64 (0..7), rest of the page zero               |  consumer: read-write
 *  8192     +-------------------------------------------------------------+
 *           | producer_pos u64 (0..7) | overwrite_pos u64 (8..15) | zero   |  consumer: read-only
 *  12288    +-------------------------------------------------------------+
 *           | data: size bytes (max_entries, a power of 2, >= 4096)        |
 *           |  record = [ len u32 | pg_off u32 ] data ... pad to 8         |
 *           |  len bit 31 BUSY, bit 30 DISCARD, bits 0..29 data bytes     |
 *           |  pg_off bit 31 QUIET while BUSY (Sonde's; see QUIET_BIT)     |
 *  +size    +-------------------------------------------------------------+
 *           | mirror: size bytes, tails of records that wrap               |
 *  +2*size  +-------------------------------------------------------------+
 *           | seq: size / 8 u64, slot i = (position of the header at i*8)+1|
 *           |      (overwrite mode only; zero in an ordinary ring)          |
 *  +3*size  +-------------------------------------------------------------+
 * </pre>
 *
 * Positions are byte counts since creation (u64, never wrapping); {@code position & (size - 1)} is the offset in
 * the data area. {@code pg_off} is, as in the kernel, the header's distance in pages from the consumer page
 * (the kernel's is from its {@code struct bpf_ringbuf}, whose first pages are private to the kernel).
 */
public final class RingBufLayout {
    public static final int PAGE_SIZE = MapHeaderLayout.PAGE_SIZE;

    /**
     * Counters, each on its own cache line: producers bump them from any thread. The words at the two record
     * counts' offsets are reserved and stay zero: files of protocol {@link #PROTOCOL_ZEROED} count records in
     * the stripes only (the stamped protocol's files, which counted in these words too, are refused).
     */
    public static final int DROPPED_RECORDS_OFFSET = MapHeaderLayout.TYPE_AREA_OFFSET;
    public static final int DISCARDED_RECORDS_OFFSET = DROPPED_RECORDS_OFFSET + 64;
    public static final int OVERWRITTEN_BYTES_OFFSET = DISCARDED_RECORDS_OFFSET + 64;
    public static final int WAKEUPS_OFFSET = OVERWRITTEN_BYTES_OFFSET + 64;
    /** Stripes of the two record counts, each {@link #COUNTER_STRIPES} lines of 64 bytes. */
    public static final int COUNTER_STRIPES = 16;
    public static final int DROPPED_STRIPES_OFFSET = WAKEUPS_OFFSET + 64;
    public static final int DISCARDED_STRIPES_OFFSET = DROPPED_STRIPES_OFFSET + 64 * COUNTER_STRIPES;
    /** The ring protocol's word (u32). */
    public static final int PROTOCOL_OFFSET = DISCARDED_STRIPES_OFFSET + 64 * COUNTER_STRIPES;
    /** Ordinary rings: the consumer zeroes what it consumed, and a zero header word is not written yet. */
    public static final int PROTOCOL_ZEROED = 1;

    public static final int CONSUMER_PAGE_OFFSET = MapHeaderLayout.DATA_OFFSET;
    public static final int CONSUMER_POS_OFFSET = CONSUMER_PAGE_OFFSET;
    public static final int PRODUCER_PAGE_OFFSET = CONSUMER_PAGE_OFFSET + PAGE_SIZE;
    public static final int PRODUCER_POS_OFFSET = PRODUCER_PAGE_OFFSET;
    public static final int OVERWRITE_POS_OFFSET = PRODUCER_PAGE_OFFSET + 8;
    public static final int DATA_OFFSET = PRODUCER_PAGE_OFFSET + PAGE_SIZE;

    /** {@code BPF_RINGBUF_HDR_SZ}. */
    public static final int HEADER_SIZE = 8;
    /** {@code BPF_RINGBUF_BUSY_BIT}: reserved, not yet committed or discarded. */
    public static final int BUSY_BIT = 1 << 31;
    /** {@code BPF_RINGBUF_DISCARD_BIT}: the consumer skips the record. */
    public static final int DISCARD_BIT = 1 << 30;
    /**
     * Sonde's, in {@code pg_off} while the record is BUSY: reserved while this process's consumer was awake, so its
     * commit publishes with a release store instead of the exchange, and decides a wake-up only for a consumer it
     * sees parked (RingBuf.publish). Cleared by the commit: a committed header's {@code pg_off} is the kernel's.
     */
    public static final int QUIET_BIT = 1 << 31;
    /** {@code RINGBUF_MAX_RECORD_SZ} ({@code UINT_MAX / 4}): what fits in the length bits. */
    public static final int MAX_RECORD_SIZE = 0x3FFF_FFFF;
    /** Largest data size: the file (header, two pages, data, mirror, sequence array) must stay under 2 GiB. */
    public static final int MAX_DATA_SIZE = 1 << 29;

    private RingBufLayout() {
    }

    /** Bytes of map-file data area for a ring of {@code size} data bytes. */
    public static long dataAreaSize(int size) {
        return 2L * PAGE_SIZE + 3L * size;
    }

    public static int mirrorOffset(int size) {
        return DATA_OFFSET + size;
    }

    public static int seqOffset(int size) {
        return DATA_OFFSET + 2 * size;
    }

    /** Header plus data, rounded up to 8: the bytes a record takes in the ring. */
    public static int recordLength(int dataLength) {
        return (dataLength + HEADER_SIZE + 7) & ~7;
    }

    /** The header's {@code pg_off}: pages from the consumer page to the header at data offset {@code r}. */
    public static int pageOffset(int r) {
        return (DATA_OFFSET - CONSUMER_PAGE_OFFSET + r) >>> 12;
    }
}
