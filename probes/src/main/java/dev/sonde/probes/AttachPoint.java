package dev.sonde.probes;

import dev.sonde.maps.BpfMap;

/**
 * The programs attached to one instrumented method, immutable: replacing programs builds a new attach point and
 * swaps it into the bridge's table, so the bytecode never changes (a {@code bpf_link_update}). Every program
 * runs inside its own try/catch: its exception is counted in its stats and never reaches the application.
 */
public final class AttachPoint {
    /** What {@link #enter} returns when the call is not timed: exit programs then see a duration of -1. */
    public static final long NO_START = Long.MIN_VALUE;
    /**
     * What {@link #enter} returns when no exit or exception program is attached: the advice then skips the exit
     * call altogether. Programs attached between a call's entry and exit start with the next call, as an fexit
     * program attached mid-call does.
     */
    public static final long NO_EXIT = Long.MIN_VALUE + 1;

    private final TargetMethod method;
    private final Program[] entry;
    private final Program[] exit;
    private final Program[] exception;
    private final boolean timed;
    private final boolean exits;
    private final boolean tracked;
    /** Every entry program runs without a context: no thread-local lookup on entry ({@link Program#runEntry}). */
    private final boolean directEntry;
    /** The same for the exit programs and for the exception programs ({@link Program#runExit}). */
    private final boolean directExit;
    private final boolean directException;
    private final int methodId;

    public AttachPoint(TargetMethod method, Program[] entry, Program[] exit, Program[] exception) {
        this.method = method;
        this.entry = entry.clone();
        this.exit = exit.clone();
        this.exception = exception.clone();
        this.tracked = anyTracks(this.exit) || anyTracks(this.exception);
        this.timed = tracked || anyTimed(this.exit) || anyTimed(this.exception);
        this.exits = this.exit.length != 0 || this.exception.length != 0;
        this.directEntry = allDirect(this.entry);
        this.directExit = allDirect(this.exit);
        this.directException = allDirect(this.exception);
        this.methodId = method == null ? 0 : method.hookId(); // null only in tests of the bridge
    }

    private static boolean allDirect(Program[] ps) {
        for (Program p : ps) {
            if (!p.runsWithoutContext()) {
                return false;
            }
        }
        return true;
    }

    private static boolean anyTimed(Program[] ps) {
        for (Program p : ps) {
            if (p.needsDuration()) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyTracks(Program[] ps) {
        for (Program p : ps) {
            if (p.needsCallIds()) {
                return true;
            }
        }
        return false;
    }

    public TargetMethod method() { return method; }
    public boolean isEmpty() { return entry.length == 0 && exit.length == 0 && exception.length == 0; }

    /**
     * Runs the entry programs; returns the start time for the exit's duration, {@link #NO_START} when no exit
     * program needs one, or {@link #NO_EXIT} when there is no exit program at all.
     */
    public long enter(long a0, long a1, long a2, long a3, long a4, long a5) {
        if (tracked) {
            // Pushed even inside a program (no recursion check): exit pops unconditionally, so the stack stays even.
            ProbeContext.current().pushCall();
        }
        if (directEntry) {
            runDirect(entry, methodId, a0, a1, a2, a3, a4, a5);
        } else if (entry.length != 0) {
            runWithContext(a0, a1, a2, a3, a4, a5);
        }
        if (!exits) {
            return NO_EXIT;
        }
        // Read the clock after the entry programs, so their cost is not in the method's duration. Bit 0 says
        // whether this entry pushed a call id: the exit pops by it, even if the programs were swapped meanwhile.
        return !timed ? NO_START : tracked ? System.nanoTime() | 1L : System.nanoTime() & ~1L;
    }

    /**
     * The entry programs that need the thread's context. A method of its own so that the context-free path stays
     * small enough for the JIT to inline the bridge into the probed method.
     */
    private void runWithContext(long a0, long a1, long a2, long a3, long a4, long a5) {
        ProbeContext ctx = ProbeContext.current();
        if (ctx.enter()) {
            try {
                ctx.set(method, ProbeKind.ENTRY, a0, a1, a2, a3, a4, a5);
                runAll(entry, ctx);
            } finally {
                ctx.leave();
            }
        } else {
            missAll(entry);
        }
    }

    /** Runs the exit programs on a normal return, the exception programs when {@code thrown} is not null. */
    public void exit(long start, long retBits, Throwable thrown, long a0, long a1, long a2, long a3, long a4, long a5) {
        Program[] ps = thrown == null ? exit : exception;
        boolean pushed = pushed(start);
        if (ps.length == 0) {
            if (pushed) {
                ProbeContext.current().popCall();
            }
            return;
        }
        boolean untimed = start == NO_START || start == NO_EXIT;
        long now = untimed ? 0 : System.nanoTime();
        long duration = untimed ? -1 : Math.max(0, now - start); // bit 0 of start is a flag: never -1 for a timed call
        if (!pushed && (thrown == null ? directExit : directException)) {
            runDirectExit(ps, methodId, duration);
            return;
        }
        ProbeContext ctx = ProbeContext.current();
        try {
            if (!ctx.enter()) {
                missAll(ps);
                return;
            }
            try {
                ctx.set(method, thrown == null ? ProbeKind.EXIT : ProbeKind.EXCEPTION, a0, a1, a2, a3, a4, a5);
                ctx.setExit(retBits, duration, thrown, now);
                runAll(ps, ctx);
            } finally {
                ctx.leave();
            }
        } finally {
            if (pushed) {
                ctx.popCall();
            }
        }
    }

    private static boolean pushed(long start) {
        return start != NO_EXIT && (start & 1L) != 0;
    }

    /**
     * A call whose hook lost its attach point between entry and exit (programs unloaded mid-call): pops the call
     * id its entry pushed, so the thread's later spans nest right.
     */
    public static void abandon(long start) {
        if (pushed(start)) {
            ProbeContext.current().popCall();
        }
    }

    private static void runAll(Program[] ps, ProbeContext ctx) {
        for (Program p : ps) {
            ProgStats st = p.stats();
            if (!st.enabled()) {
                continue;
            }
            BpfMap[] maps = p.mapArray();
            ctx.maps(maps);
            long t0 = ProgStats.TIMED ? System.nanoTime() : 0;
            try {
                p.run(ctx);
                st.ran(ProgStats.TIMED ? System.nanoTime() - t0 : 0);
            } catch (Throwable t) {
                st.failed(t);
            }
        }
    }

    private static void runDirect(Program[] ps, int methodId, long a0, long a1, long a2, long a3, long a4,
            long a5) {
        // One program is the common case: no loop, so the JIT does not copy the body into pre-, main and post-loops
        // and the whole probe stays small enough to inline into the probed method.
        if (ps.length == 1) {
            runDirect(ps[0], methodId, a0, a1, a2, a3, a4, a5);
            return;
        }
        for (Program p : ps) {
            runDirect(p, methodId, a0, a1, a2, a3, a4, a5);
        }
    }

    private static void runDirect(Program p, int methodId, long a0, long a1, long a2, long a3, long a4, long a5) {
        ProgStats st = p.stats();
        if (!st.enabled()) {
            return;
        }
        long t0 = ProgStats.TIMED ? System.nanoTime() : 0;
        try {
            p.runEntry(methodId, a0, a1, a2, a3, a4, a5);
            st.ran(ProgStats.TIMED ? System.nanoTime() - t0 : 0);
        } catch (Throwable t) {
            st.failed(t);
        }
    }

    private static void runDirectExit(Program[] ps, int methodId, long duration) {
        if (ps.length == 1) {
            runDirectExit(ps[0], methodId, duration); // as runDirect: no loop in the common case
            return;
        }
        for (Program p : ps) {
            runDirectExit(p, methodId, duration);
        }
    }

    private static void runDirectExit(Program p, int methodId, long duration) {
        ProgStats st = p.stats();
        if (!st.enabled()) {
            return;
        }
        long t0 = ProgStats.TIMED ? System.nanoTime() : 0;
        try {
            p.runExit(methodId, duration);
            st.ran(ProgStats.TIMED ? System.nanoTime() - t0 : 0);
        } catch (Throwable t) {
            st.failed(t);
        }
    }

    private static void missAll(Program[] ps) {
        for (Program p : ps) {
            p.stats().recursionMiss();
        }
    }
}
