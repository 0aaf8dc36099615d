package dev.sonde.probes.builtin;

import dev.sonde.maps.BpfMap;
import dev.sonde.probes.MapCheck;
import dev.sonde.probes.ProbeContext;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.Program;
import dev.sonde.probes.TargetMethod;

/**
 * {@code count}: bpftrace's {@code @[probe] = count()} or {@code @[arg0] = count()}. One map, a hash with 8-byte
 * keys or an array: the key is the method id (see progs.json), or the value of integral argument {@code arg}; the
 * value's first long counts calls. A key an array does not hold is a map error, counted in the stats.
 */
public final class Count extends Program {
    /** Key by method id instead of an argument. */
    public static final int NO_ARG = -1;

    private final BpfMap map;
    private final int arg;

    public Count(String name, BpfMap counts, int arg) {
        super(name, "count", ProbeKind.ENTRY, new BpfMap[] {counts});
        try {
            MapCheck.require(name, "counts", counts, MapCheck.KEYED, MapCheck.longKeySize(counts.type()), 8);
            MapCheck.requireAccess(name, "counts", counts, true, true); // an atomic add reads and writes
            if (arg < NO_ARG || arg >= ProbeContext.MAX_ARGS) {
                throw refuse("option arg: " + arg + " is out of range; use 0 to " + (ProbeContext.MAX_ARGS - 1)
                        + ", or leave it out to count per method");
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.map = counts;
        this.arg = arg;
    }

    /** What the map's keys are: {@code "method"} (method ids, see progs.json) or {@code "arg<N>"}. */
    public String keyedBy() {
        return arg == NO_ARG ? "method" : "arg" + arg;
    }

    @Override
    public void checkTarget(TargetMethod m) {
        if (arg == NO_ARG) {
            return;
        }
        if (arg >= m.paramCount()) {
            throw refuse("option arg: " + arg + " but " + m + " has " + m.paramCount()
                    + " parameters; pick an argument index below " + m.paramCount());
        }
        if (!integral(m.paramType(arg))) {
            throw refuse("option arg: " + arg + " is a " + m.paramType(arg) + " in " + m
                    + "; count keys by an integral argument (int, long, short, byte, char, boolean)");
        }
    }

    @Override
    public boolean needsDuration() {
        return false;
    }

    @Override
    public boolean runsWithoutContext() {
        return true;
    }

    @Override
    public void runEntry(int methodId, long a0, long a1, long a2, long a3, long a4, long a5) {
        long key;
        switch (arg) {
            case NO_ARG: key = methodId; break;
            case 0: key = a0; break;
            case 1: key = a1; break;
            case 2: key = a2; break;
            case 3: key = a3; break;
            case 4: key = a4; break;
            case 5: key = a5; break;
            default: throw new IllegalStateException("arg " + arg); // the constructor refuses it
        }
        if (map.incrementLong(key, 0, 1) < 0) {
            stats().mapError();
        }
    }

    @Override
    public void run(ProbeContext ctx) {
        runEntry(ctx.methodId(), ctx.argLong(0), ctx.argLong(1), ctx.argLong(2), ctx.argLong(3), ctx.argLong(4),
                ctx.argLong(5));
    }
}
