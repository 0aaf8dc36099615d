package dev.sonde.probes;

/**
 * The record a {@code span} program commits to its ringbuf for each completed call, and that the exporters
 * decode into an OTLP span. Little-endian, as all map memory; fixed header first so a reader needs no parsing to
 * find the times and ids; then typed arguments; then the strings. A record is written once at exit (children,
 * which exit first, come before their parent), so nesting is carried by ids instead of by order.
 *
 * <pre>
 *  0        2        4        6        8                                16
 *  +--------+--------+--------+--------+--------------------------------+
 *  |version | flags  | nArgs  |  0     |  thread id (u64)               |
 *  +--------+--------+--------+--------+--------------------------------+
 * 16 | start, epoch nanoseconds (u64) |  duration, nanoseconds (u64)    | 32
 *  +---------------------------------+---------------------------------+
 * 32 | call id (u64, per thread, >= 1)|  parent call id (u64, 0 = root) | 48
 *  +---------------------------------+---------------------------------+
 * 48 | root call id (u64)             |  method id (u32)  |  0 (u32)    | 64
 *  +---------------------------------+---------------------------------+
 * 64 | nArgs x { kind (u32) | 0 (u32) | value (u64: long, double bits, boolean 0/1) }   16 bytes each
 *  +--------------------------------------------------------------------+
 *    | class name | method name | thread name | exception class | exception message |
 *    each: length (u16) then that many UTF-8 bytes; an empty exception class means no exception
 *  +--------------------------------------------------------------------+
 * </pre>
 *
 * Ids: {@code call id} numbers the calls entered on one thread; {@code root call id} is the call id of the
 * outermost instrumented call on that thread's stack (its own id for a root), so a consumer derives trace and
 * span ids from (thread id, root call id) and (thread id, call id) without keeping state across records.
 */
public final class SpanRecordLayout {
    public static final int VERSION = 1;
    /** {@code flags} bit: the call ended with an exception (the exception strings are set). */
    public static final int FLAG_EXCEPTION = 1;

    public static final int VERSION_OFFSET = 0;
    public static final int FLAGS_OFFSET = 2;
    public static final int NARGS_OFFSET = 4;
    public static final int THREAD_ID_OFFSET = 8;
    public static final int START_OFFSET = 16;
    public static final int DURATION_OFFSET = 24;
    public static final int CALL_ID_OFFSET = 32;
    public static final int PARENT_CALL_ID_OFFSET = 40;
    public static final int ROOT_CALL_ID_OFFSET = 48;
    public static final int METHOD_ID_OFFSET = 56;
    public static final int HEADER_SIZE = 64;

    public static final int ARG_SIZE = 16;
    public static final int ARG_KIND_OFFSET = 0;
    public static final int ARG_VALUE_OFFSET = 8;
    public static final int ARG_LONG = 1;
    public static final int ARG_DOUBLE = 2;
    public static final int ARG_BOOLEAN = 3;

    /** Longest string kept in a record; longer ones are cut at this many bytes. */
    public static final int MAX_STRING = 0xFFFF;

    private SpanRecordLayout() {
    }

    /** Where the strings start. */
    public static int stringsOffset(int nArgs) {
        return HEADER_SIZE + nArgs * ARG_SIZE;
    }

    /** The record's size for these argument count and string lengths (UTF-8 bytes). */
    public static int size(int nArgs, int className, int methodName, int threadName, int exceptionClass,
            int exceptionMessage) {
        return stringsOffset(nArgs) + 5 * 2 + className + methodName + threadName + exceptionClass + exceptionMessage;
    }
}
