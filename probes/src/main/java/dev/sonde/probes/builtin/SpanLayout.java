package dev.sonde.probes.builtin;

/**
 * One {@code span} record in a ringbuf: a finished call, fixed size, little-endian as all map memory, so a
 * consumer in any process decodes it without Sonde. This is the one span format: the {@code span} program writes
 * it, the exporters turn it into an OTLP span, {@code sonde ringbuf tail} prints it.
 *
 * <pre>
 *  0              8              16                24               32                40        44        48
 *  +--------------+--------------+-----------------+----------------+-----------------+---------+---------+
 *  | method id    | thread id    | start, epoch ns | duration ns    | return bits, or | flags   | nArgs   |
 *  | (progs.json) |              |                 |                | exception hash  | u32     | u32     |
 *  +--------------+--------------+-----------------+----------------+-----------------+---------+---------+
 * 48 | call id (per thread, >= 1; 0 = deeper than the tracked stack) | parent call id (0 = root)          | 64
 *  +-------------------------------------------------+---------------------------------------------------+
 * 64 | root call id                                    | args[0..5]: raw bits as ProbeContext.argLong(i)  | 120
 *  +-------------------------------------------------+---------------------------------------------------+
 * 120 | app trace id, high 64 bits | app trace id, low 64 bits | app parent span id                        | 144
 *  +-------------------------------------------------+---------------------------------------------------+
 * </pre>
 * Version 2 (144 bytes) added the last three words; version 1 records (120 bytes, no application context) still
 * decode, the record's size telling the two apart. The app words are the application's own OpenTelemetry span
 * current when the outermost instrumented call on the thread began ({@link dev.sonde.probes.AppTraceContext}):
 * its trace id (the hex string's first and last 16 digits as two u64) and span id, all 0 when there was none.
 * Every record of one root call carries the same words, so a consumer puts the whole call tree in the app's trace
 * and hangs the root-most call (parent call id 0) under the app's span, again with no state across records.
 *
 * Flags: {@link #THREW} when the call ended by an exception (then the value word is the {@link NameHash} of its
 * class's name, {@link Exceptions#name} turns it back in the JVM that wrote it). Names are not in the record (they
 * would cost a copy per call): the method id maps to class, method and parameter types through {@code progs.json}
 * or the agent's hook table, and the parameter types say how to read each argument word (double bits, 0/1, long).
 * Ids: a call id numbers the instrumented calls entered on one thread; the root call id is that of the outermost
 * instrumented call on the thread's stack, so a consumer derives trace and span ids from (thread id, root call id)
 * and (thread id, call id) with no state kept across records (children, which exit first, come before parents).
 */
public final class SpanLayout {
    public static final int METHOD_OFFSET = 0;
    public static final int THREAD_OFFSET = 8;
    public static final int START_OFFSET = 16;
    public static final int DURATION_OFFSET = 24;
    public static final int VALUE_OFFSET = 32;
    public static final int FLAGS_OFFSET = 40;
    public static final int NARGS_OFFSET = 44;
    public static final int CALL_ID_OFFSET = 48;
    public static final int PARENT_CALL_ID_OFFSET = 56;
    public static final int ROOT_CALL_ID_OFFSET = 64;
    public static final int ARGS_OFFSET = 72;
    /** Argument words in a record: {@link dev.sonde.probes.ProbeContext#MAX_ARGS}. */
    public static final int MAX_ARGS = 6;
    /** Version 1's size: no application trace context. */
    public static final int SIZE_V1 = ARGS_OFFSET + MAX_ARGS * 8;
    public static final int APP_TRACE_HI_OFFSET = SIZE_V1;
    public static final int APP_TRACE_LO_OFFSET = SIZE_V1 + 8;
    public static final int APP_PARENT_SPAN_OFFSET = SIZE_V1 + 16;
    /** The layout this Sonde writes. */
    public static final int VERSION = 2;
    public static final int SIZE = SIZE_V1 + 24;
    public static final int THREW = 1;

    private SpanLayout() {
    }
}
