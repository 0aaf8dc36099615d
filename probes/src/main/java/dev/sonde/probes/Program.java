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
