package dev.sonde.probes.builtin;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Log2Histogram;
import dev.sonde.probes.MapCheck;
import dev.sonde.probes.ProbeContext;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.Program;

/**
 * {@code latency}: bpftrace's {@code @ = hist(nsecs - @start[tid])}. An exit program adding 1 to bucket
 * {@link Log2Histogram#bucket}(duration) of an array (PERCPU_ARRAY advised: each thread adds to its own shard); durations
 * past the last element land in the last one.
 */
public final class Latency extends Program {
    private final BpfMap map;
    private final int last;

    public Latency(String name, BpfMap histogram) {
        super(name, "latency", ProbeKind.EXIT, new BpfMap[] {histogram});
        try {
            MapCheck.require(name, "histogram", histogram, MapCheck.ARRAYS, 4, 8);
            MapCheck.requireAccess(name, "histogram", histogram, true, true); // an atomic add reads and writes
            if (histogram.maxEntries() < 1) {
                throw refuse("histogram map '" + histogram.name() + "' has no entries; declare maxEntries: "
                        + Log2Histogram.BUCKETS);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.map = histogram;
        this.last = histogram.maxEntries() - 1;
    }

    @Override
    public void run(ProbeContext ctx) {
        runExit(ctx.methodId(), ctx.durationNanos());
    }

    @Override
    public boolean runsWithoutContext() {
        return true;
    }

    @Override
    public void runExit(int methodId, long d) {
        if (d < 0) {
            return; // entry not timed: programs were swapped between this call's entry and exit
        }
        long h = map.lookupElem(Math.min(Log2Histogram.bucket(d), last));
        if (h < 0) {
            stats().mapError();
            return;
        }
        map.addLong(h, 0, 1);
    }
}
