package dev.sonde.probes;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Errno;
import dev.sonde.maps.SondeException;
import java.util.Arrays;
import java.util.List;

/**
 * A loaded program: code that runs at one {@link ProbeKind} of the methods it is attached to, with the maps it
 * was verified against. The program holds a reference on each map ({@link BpfMap#retain()}) until
 * {@link #close()}, as a loaded BPF program pins its maps.
 */
public abstract class Program implements AutoCloseable {
    private final String name;
    private final String type;
    private final ProbeKind kind;
    private final BpfMap[] maps;
    private final ProgStats stats;
    private boolean closed;

    protected Program(String name, String type, ProbeKind kind, BpfMap[] maps) {
        this.name = name;
        this.type = type;
        this.kind = kind;
        this.maps = maps.clone();
        this.stats = new ProgStats(name);
        int retained = 0;
        try {
            for (BpfMap m : this.maps) {
                m.retain();
                retained++;
            }
        } catch (RuntimeException e) {
            for (int i = 0; i < retained; i++) {
                this.maps[i].release();
            }
            throw e;
        }
    }

    /** The program's code; exceptions are caught, counted and never reach the application. */
    public abstract void run(ProbeContext ctx);

    /**
     * Whether this program can run through {@link #runEntry} (an entry program) or {@link #runExit} (an exit
     * program) instead of {@link #run}: it reads nothing from the context but the method id, the arguments or the
     * duration, and calls no code that could itself be probed (only Sonde's maps), so it needs neither the
     * thread's context nor the recursion guard. A probe whose programs of one kind all say yes skips the
     * thread-local lookup for that kind, which is most of a probe's cost.
     */
    public boolean runsWithoutContext() {
        return false;
    }

    /** The context-free entry, for programs whose {@link #runsWithoutContext()} is true. */
    public void runEntry(int methodId, long a0, long a1, long a2, long a3, long a4, long a5) {
        throw new UnsupportedOperationException(name + " needs a context");
    }

    /** The context-free exit, for exit programs whose {@link #runsWithoutContext()} is true. */
    public void runExit(int methodId, long durationNanos) {
        throw new UnsupportedOperationException(name + " needs a context");
    }

    /**
     * The verifier's check against one matched method (argument indexes and types); throws
     * {@link SondeException} naming the method and the fix. The default accepts every method.
     */
    public void checkTarget(TargetMethod method) {
    }

    /**
     * For an exit program: whether it also runs when the call ends by an exception (then
     * {@link ProbeContext#thrown()} is set), as one span per call needs.
     */
    public boolean alsoOnException() {
        return false;
    }

    /** Whether the program reads {@link ProbeContext#durationNanos()}: only then is the entry timed. */
    public boolean needsDuration() {
        return kind != ProbeKind.ENTRY;
    }

    /**
     * Whether the program reads {@link ProbeContext#callId()} and its parent and root: only then does the hook keep
     * the thread's stack of instrumented calls.
     */
    public boolean needsCallIds() {
        return false;
    }

    public final String name() { return name; }
    /** {@code count}, {@code latency}, {@code exceptions}, or {@code java} for a Java class. */
    public final String type() { return type; }
    public final ProbeKind kind() { return kind; }
    public final ProgStats stats() { return stats; }
    public final List<BpfMap> maps() { return Arrays.asList(maps.clone()); }

    final BpfMap[] mapArray() {
        return maps;
    }

    /** Detaches the program and drops its map references; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stats.detach();
        for (BpfMap m : maps) {
            m.release();
        }
    }

    /** Verifier refusal: one line naming the program, the problem and the fix. */
    protected final SondeException refuse(String problem) {
        return new SondeException(Errno.EINVAL, "program '" + name + "' refused: " + problem);
    }

    /** Java type names that hold an integral value an argument key can use. */
    protected static boolean integral(String javaType) {
        switch (javaType) {
            case "int": case "long": case "short": case "byte": case "char": case "boolean":
                return true;
            default:
                return false;
        }
    }
}
