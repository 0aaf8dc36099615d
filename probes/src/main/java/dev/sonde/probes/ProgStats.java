package dev.sonde.probes;

import dev.sonde.maps.Shards;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A program's counters, as {@code bpf_prog_info}: {@code run_cnt}, {@code run_time_ns} (only measured with
 * {@code -Dsonde.stats=true}, as the kernel's {@code kernel.bpf_stats_enabled}), {@code recursion_misses}, plus
 * the errors Sonde adds: exceptions thrown by the program and failed map updates. A program whose consecutive
 * exceptions reach {@link #maxConsecutiveErrors()} is switched off and reported once on stderr.
 */
public final class ProgStats {
    /** Measure {@code runTimeNanos}: two clock reads per run, off by default. */
    public static final boolean TIMED = Boolean.getBoolean("sonde.stats");
    private static final int DEFAULT_MAX_ERRORS = 100;
    /** Longs between two shards' counters: one 64-byte cache line, so shards never share a line. */
    private static final int STRIDE = 8;
    private static final int RUNS = 0;
    private static final int TIME = 1;
    private static final int MAP_ERRORS = 2;
    private static final int MISSES = 3;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle CONSECUTIVE;
    private static final VarHandle STATE;
    private static final VarHandle ERRORS;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CONSECUTIVE = l.findVarHandle(ProgStats.class, "consecutiveErrors", int.class);
            STATE = l.findVarHandle(ProgStats.class, "state", int.class);
            ERRORS = l.findVarHandle(ProgStats.class, "errors", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public static final int ENABLED = 0;
    public static final int DISABLED = 1;
    public static final int DETACHED = 2;

    private final String programName;
    private final int maxErrors;
    private final int shards;
    /** Per-shard counters: threads on different shards never contend on one cache line. */
    private final long[] counters;
    private volatile long errors;
    private volatile int consecutiveErrors;
    private volatile int state = ENABLED;
    private volatile String lastError;

    public ProgStats(String programName) {
        this(programName, Integer.getInteger("sonde.maxConsecutiveErrors", DEFAULT_MAX_ERRORS));
    }

    public ProgStats(String programName, int maxConsecutiveErrors) {
        this.programName = programName;
        this.maxErrors = Math.max(1, maxConsecutiveErrors);
        this.shards = Shards.numShards();
        this.counters = new long[(shards + 1) * STRIDE];
    }

    private int slot(int counter) {
        return (Shards.current(shards) + 1) * STRIDE + counter;
    }

    // ---- hot path ------------------------------------------------------------------------------------------

    /** Whether the program still runs: one plain volatile read per hit. */
    public boolean enabled() {
        return state == ENABLED;
    }

    /** Counts one run; {@code nanos} is ignored unless {@link #TIMED}. */
    void ran(long nanos) {
        int s = slot(RUNS);
        // Atomic add: two threads may share a shard; plain ordering is enough for a counter read by snapshots.
        LONGS.getAndAdd(counters, s, 1L);
        if (TIMED) {
            LONGS.getAndAdd(counters, s + TIME - RUNS, nanos);
        }
        // Read before writing, so a healthy program never dirties the shared line.
        if (consecutiveErrors != 0) {
            consecutiveErrors = 0;
        }
    }

    /** A map call failed (a full hash, a full ring): counted, not an error streak. */
    public void mapError() {
        LONGS.getAndAdd(counters, slot(MAP_ERRORS), 1L);
    }

    void recursionMiss() {
        LONGS.getAndAdd(counters, slot(MISSES), 1L);
    }

    /** The program threw: counted; the streak's {@code maxConsecutiveErrors}-th switches it off. */
    void failed(Throwable t) {
        LONGS.getAndAdd(counters, slot(RUNS), 1L);
        ERRORS.getAndAdd(this, 1L);
        int n = (int) CONSECUTIVE.getAndAdd(this, 1) + 1;
        if (n >= maxErrors && STATE.compareAndSet(this, ENABLED, DISABLED)) {
            lastError = String.valueOf(t);
            // Once only: the CAS above lets exactly one thread report.
            System.err.println("sonde: program '" + programName + "' switched off after " + n
                    + " consecutive errors, last: " + t + "; fix the program and load the probe file again");
        } else if (lastError == null) {
            lastError = String.valueOf(t);
        }
    }

    // ---- control plane -------------------------------------------------------------------------------------

    /**
     * The verifier refused the program late (a method matched after load had the wrong parameters): switched
     * off everywhere, so it is never half-attached, and reported once.
     */
    public void refuse(String reason) {
        if (STATE.compareAndSet(this, ENABLED, DISABLED)) {
            lastError = reason;
            System.err.println("sonde: " + reason);
        }
    }

    public void detach() {
        state = DETACHED;
    }

    public int state() {
        return state;
    }

    public String stateName() {
        switch (state) {
            case ENABLED: return "enabled";
            case DISABLED: return "disabled";
            default: return "detached";
        }
    }

    public int maxConsecutiveErrors() {
        return maxErrors;
    }

    public long runCount() {
        return sum(RUNS);
    }

    public long runTimeNanos() {
        return sum(TIME);
    }

    public long mapErrors() {
        return sum(MAP_ERRORS);
    }

    public long recursionMisses() {
        return sum(MISSES);
    }

    public long errors() {
        return errors;
    }

    public int consecutiveErrors() {
        return consecutiveErrors;
    }

    /** The last exception's text, or null. */
    public String lastError() {
        return lastError;
    }

    private long sum(int counter) {
        long total = 0;
        for (int i = STRIDE + counter; i < counters.length; i += STRIDE) {
            total += (long) LONGS.getOpaque(counters, i);
        }
        return total;
    }
}
