package dev.sonde.probes;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Errno;
import dev.sonde.maps.RelayMap;
import dev.sonde.maps.RingBuf;

/**
 * What a running program sees, and the BPF helpers' equivalents: {@code bpf_ktime_get_ns}, the current thread,
 * the method id, arguments and return value as primitives, and its maps. One context per thread, reused for
 * every probe the thread runs, so nothing here allocates.
 *
 * <p>Arguments arrive as raw 64-bit patterns (ints and shorts sign-extended, booleans 0/1, floating point as its
 * IEEE bits); reference arguments read as 0. Only the first {@link #MAX_ARGS} are passed, as BPF passes five
 * registers.
 */
public final class ProbeContext {
    public static final int MAX_ARGS = 6;
    /** Nested calls whose ids are kept; a call deeper than this has call id 0. */
    public static final int MAX_DEPTH = 64;

    private static final ThreadLocal<ProbeContext> CURRENT = ThreadLocal.withInitial(ProbeContext::new);

    /** Bytes a program may format a record in, per thread: {@link #scratch()}. */
    public static final int SCRATCH_SIZE = 512;

    private final long[] args = new long[MAX_ARGS];
    private final byte[] scratch = new byte[SCRATCH_SIZE];
    private final long threadId;
    private TargetMethod method;
    private ProbeKind kind;
    private long ret;
    private long durationNanos = -1;
    private long exitNanos;
    private Throwable thrown;
    private BpfMap[] maps;
    /** Call ids of the tracked calls on this thread's stack, outermost first; deeper calls are counted only. */
    private final long[] calls = new long[MAX_DEPTH];
    private int depth;
    private long callSeq;
    /** True while a program runs on this thread: a probe hit from inside a program is skipped, as bpf_prog_active does. */
    private boolean active;
    /** The application's span when the outermost tracked call began ({@link AppTraceContext}); 0s for none. */
    private long appTraceHi;
    private long appTraceLo;
    private long appSpan;
    /** The application's span context those words came from: the same one next time needs no parsing. */
    private Object appSpanContext;
    /** True while {@link AppTraceContext} calls the application's API: a probe on that API must not recurse. */
    private boolean capturing;

    @SuppressWarnings("deprecation") // Thread.getId(): threadId() needs JDK 19
    ProbeContext() {
        this.threadId = Thread.currentThread().getId();
    }

    /** The calling thread's context. */
    static ProbeContext current() {
        return CURRENT.get();
    }

    // ---- set by the dispatcher -----------------------------------------------------------------------------

    boolean enter() {
        if (active) {
            return false;
        }
        active = true;
        return true;
    }

    void leave() {
        active = false;
        thrown = null;
        maps = null;
    }

    void set(TargetMethod m, ProbeKind k, long a0, long a1, long a2, long a3, long a4, long a5) {
        method = m;
        kind = k;
        args[0] = a0;
        args[1] = a1;
        args[2] = a2;
        args[3] = a3;
        args[4] = a4;
        args[5] = a5;
        ret = 0;
        durationNanos = -1;
        exitNanos = 0;
        thrown = null;
    }

    void setExit(long retBits, long duration, Throwable t) {
        setExit(retBits, duration, t, 0);
    }

    void setExit(long retBits, long duration, Throwable t, long exitTime) {
        exitNanos = exitTime;
        ret = retBits;
        durationNanos = duration;
        thrown = t;
    }

    /**
     * A tracked call begins: it gets the thread's next call id. An outermost one also reads the application's
     * current OpenTelemetry span, which the whole call tree then joins.
     */
    void pushCall() {
        if (depth == 0 && !capturing) {
            if (active) {
                appContext(0, 0, 0, null); // called from inside a program: no application code runs from here
            } else {
                capturing = true;
                try {
                    AppTraceContext.capture(this);
                } finally {
                    capturing = false;
                }
            }
        }
        long id = ++callSeq;
        if (depth < MAX_DEPTH) {
            calls[depth] = id;
        }
        depth++;
    }

    /** A tracked call ends; never below 0, should programs be swapped between a call's entry and exit. */
    void popCall() {
        if (depth > 0) {
            depth--;
        }
    }

    void appContext(long traceHi, long traceLo, long spanId, Object from) {
        appTraceHi = traceHi;
        appTraceLo = traceLo;
        appSpan = spanId;
        appSpanContext = from;
    }

    Object appSpanContext() {
        return appSpanContext;
    }

    void maps(BpfMap[] m) {
        maps = m;
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /** {@code bpf_ktime_get_ns()}: a monotonic clock in nanoseconds. */
    public long timeNanos() {
        return System.nanoTime();
    }

    /** {@code bpf_get_current_pid_tgid()}'s thread half: the Java thread id. */
    public long threadId() {
        return threadId;
    }

    /**
     * The current call's id, unique per thread, for programs that declare {@link Program#needsCallIds()}; 0 when
     * the call is not tracked or nested deeper than {@link #MAX_DEPTH}.
     */
    public long callId() {
        return depth == 0 || depth > MAX_DEPTH ? 0 : calls[depth - 1];
    }

    /** The caller's call id (the next tracked call out on this thread's stack), 0 for an outermost call. */
    public long parentCallId() {
        return depth < 2 ? 0 : calls[Math.min(depth, MAX_DEPTH + 1) - 2];
    }

    /** The outermost tracked call's id on this thread's stack: one per trace. */
    public long rootCallId() {
        return depth == 0 ? 0 : calls[0];
    }

    /**
     * The high 64 bits of the application's own trace id (its OpenTelemetry span current when the outermost
     * instrumented call on this thread began), 0 when it had none; see {@link AppTraceContext}.
     */
    public long appTraceIdHigh() {
        return appTraceHi;
    }

    /** The low 64 bits of the application's trace id, 0 when none. */
    public long appTraceIdLow() {
        return appTraceLo;
    }

    /** The application's span id at the outermost call's start: the parent of Sonde's root span; 0 when none. */
    public long appParentSpanId() {
        return appSpan;
    }

    /** The instrumented method's hook id; progs.json maps it to the class, name and descriptor. */
    public int methodId() {
        return method.hookId();
    }

    public TargetMethod method() {
        return method;
    }

    public ProbeKind kind() {
        return kind;
    }

    /** Parameters of the method, at most {@link #MAX_ARGS} of which are readable. */
    public int argCount() {
        return Math.min(method.paramCount(), MAX_ARGS);
    }

    /** Argument {@code i} as a long: ints, shorts, bytes and chars widened, booleans 0/1. */
    public long argLong(int i) {
        return args[i];
    }

    public int argInt(int i) {
        return (int) args[i];
    }

    public boolean argBoolean(int i) {
        return args[i] != 0;
    }

    public double argDouble(int i) {
        return Double.longBitsToDouble(args[i]);
    }

    public float argFloat(int i) {
        return Float.intBitsToFloat((int) args[i]);
    }

    /** The return value (exit probes), widened as arguments are; 0 for void methods. */
    public long retLong() {
        return ret;
    }

    public int retInt() {
        return (int) ret;
    }

    public double retDouble() {
        return Double.longBitsToDouble(ret);
    }

    /** Nanoseconds from entry to exit (exit and exception probes), or -1 when the entry was not timed. */
    public long durationNanos() {
        return durationNanos;
    }

    /**
     * The {@link #timeNanos()} clock when the exit hook fired, the end of {@link #durationNanos()} (0 when the call
     * was not timed): a span's start is this minus the duration, exactly, whatever programs ran before.
     */
    public long exitNanos() {
        return exitNanos;
    }

    /** The exception being thrown (exception probes), else null. */
    public Throwable thrown() {
        return thrown;
    }

    /**
     * This thread's {@link #SCRATCH_SIZE}-byte buffer, to format a record before an {@code output} call without
     * allocating. Its contents do not survive the program's run.
     */
    public byte[] scratch() {
        return scratch;
    }

    // ---- maps ----------------------------------------------------------------------------------------------

    /** The program's {@code i}-th map, in the order of its {@link UsesMap} declarations or the probe file's {@code maps}. */
    public BpfMap map(int i) {
        return maps[i];
    }

    /** {@code bpf_map_lookup_elem}: the handle of {@code key}'s value, or -ENOENT. */
    public long lookup(int mapIndex, long key) {
        return maps[mapIndex].lookupElem(key);
    }

    /** {@code @m[key] += delta} on the long at {@code offset}: 0, or a negative errno (-E2BIG for a full hash). */
    public int add(int mapIndex, long key, int offset, long delta) {
        BpfMap m = maps[mapIndex];
        if (!MapCheck.progWritable(m) || !MapCheck.progReadable(m)) {
            return -Errno.EACCES; // F_RDONLY_PROG / F_WRONLY_PROG: an atomic add both reads and writes
        }
        return m.incrementLong(key, offset, delta);
    }

    /** Stores {@code value} at {@code offset} of {@code key}'s value, inserting a zeroed value first if needed. */
    public int putLong(int mapIndex, long key, int offset, long value) {
        BpfMap m = maps[mapIndex];
        if (!MapCheck.progWritable(m)) {
            return -Errno.EACCES; // created with F_RDONLY_PROG
        }
        long h = m.lookupOrInitElem(key);
        if (h < 0) {
            return (int) h;
        }
        m.putLong(h, offset, value);
        return 0;
    }

    /** The long at {@code offset} of {@code key}'s value, or {@code dflt} when the key is absent. */
    public long getLong(int mapIndex, long key, int offset, long dflt) {
        BpfMap m = maps[mapIndex];
        return MapCheck.progReadable(m) ? m.lookupLong(key, offset, dflt) : dflt; // F_WRONLY_PROG: write-only
    }

    /** The program's {@code i}-th map as a ringbuf (declared {@code type = RINGBUF}): reserve, put, commit. */
    public RingBuf ringbuf(int i) {
        return (RingBuf) maps[i];
    }

    /** The program's {@code i}-th map as a relay (declared {@code type = RELAY}). */
    public RelayMap relay(int i) {
        return (RelayMap) maps[i];
    }

    /** {@code bpf_ringbuf_output}: {@code len} bytes of {@code data} as one record; 0 or a negative errno (-EAGAIN: full). */
    public int ringbufOutput(int mapIndex, byte[] data, int len, long flags) {
        RingBuf r = (RingBuf) maps[mapIndex];
        long h = r.reserve(len);
        if (h < 0) {
            return (int) h;
        }
        r.putBytes(h, 0, data, 0, len);
        return r.commit(h, flags);
    }

    /** One relay record of {@code len} bytes of {@code data} (often {@link #scratch()}); 0 or a negative errno. */
    public int relayOutput(int mapIndex, byte[] data, int len) {
        return ((RelayMap) maps[mapIndex]).output(data, 0, len);
    }

    /** -EINVAL for a map index the program did not declare: programs check before they index. */
    public int checkMap(int mapIndex) {
        return maps != null && mapIndex >= 0 && mapIndex < maps.length ? 0 : -Errno.EINVAL;
    }
}
