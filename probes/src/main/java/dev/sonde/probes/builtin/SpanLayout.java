package dev.sonde.probes.builtin;

/**
 * One {@code span} record in a ringbuf: a finished call, fixed size, little-endian as all map memory, so a
 * consumer in any process decodes it without Sonde.
 *
 * <pre>
 *  0              8              16                24               32                40        44        48
 *  +--------------+--------------+-----------------+----------------+-----------------+---------+---------+
 *  | method id    | thread id    | start, epoch ns | duration ns    | return bits, or | flags   | reserved|
 *  | (progs.json) |              |                 |                | exception hash  | u32     | u32     |
 *  +--------------+--------------+-----------------+----------------+-----------------+---------+---------+
 * </pre>
 * Flags: {@link #THREW} when the call ended by an exception (then the value word is the {@link NameHash} of its
 * class's name).
 */
public final class SpanLayout {
    public static final int METHOD_OFFSET = 0;
    public static final int THREAD_OFFSET = 8;
    public static final int START_OFFSET = 16;
    public static final int DURATION_OFFSET = 24;
    public static final int VALUE_OFFSET = 32;
    public static final int FLAGS_OFFSET = 40;
    public static final int SIZE = 48;
    public static final int THREW = 1;

    private SpanLayout() {
    }
}
