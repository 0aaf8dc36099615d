package dev.sonde.export;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.metrics.data.SumData;
import io.opentelemetry.sdk.metrics.export.MetricProducer;
import io.opentelemetry.sdk.resources.Resource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Sonde's own metrics, cumulative monotonic sums: {@code sonde.records.dropped{cause}} (every cause always
 * present, zeros included, so a dashboard can tell "none dropped" from "not reported"), {@code sonde.program.runs}
 * and {@code sonde.program.errors} per {@code program}, and {@code sonde.relay.dumps} (an {@code exceptions}
 * program's dump requests: {@code outcome=requested|rate_limited|unserved} per {@code program}, and
 * {@code outcome=exported}, the dumps the relay exporter sent). Sources are the counters the runtime already keeps (a
 * ringbuf's drop count, a relay's overwritten count, a program's stats), read at collection time; the exporters'
 * own drops are counted here with {@link #dropped}.
 */
public final class SondeTelemetry implements MetricProducer {
    public static final String RING_FULL = "ring_full";
    public static final String RELAY_OVERWRITTEN = "relay_overwritten";
    public static final String EXPORT_FAILED = "export_failed";
    public static final String BATCH_DROPPED = "batch_dropped";
    private static final String[] CAUSES = {RING_FULL, RELAY_OVERWRITTEN, EXPORT_FAILED, BATCH_DROPPED};
    private static final AttributeKey<String> CAUSE = AttributeKey.stringKey("cause");
    private static final AttributeKey<String> PROGRAM = AttributeKey.stringKey("program");
    private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");
    private static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.create("dev.sonde");

    private final AtomicLongArray own = new AtomicLongArray(CAUSES.length);
    private final java.util.concurrent.atomic.AtomicLong dumpsExported = new java.util.concurrent.atomic.AtomicLong();
    private final List<Source> dropSources = new CopyOnWriteArrayList<>();
    private final List<Program> programs = new CopyOnWriteArrayList<>();
    private final List<Supplier<? extends Collection<? extends dev.sonde.probes.Program>>> programSources =
            new CopyOnWriteArrayList<>();
    private final long start = System.currentTimeMillis() * 1_000_000L;

    private static final class Source {
        final int cause;
        final LongSupplier total;

        Source(int cause, LongSupplier total) {
            this.cause = cause;
            this.total = total;
        }
    }

    private static final class Program {
        final Attributes attrs;
        final LongSupplier runs;
        final LongSupplier errors;

        Program(String name, LongSupplier runs, LongSupplier errors) {
            this.attrs = Attributes.of(PROGRAM, name);
            this.runs = runs;
            this.errors = errors;
        }
    }

    private static int cause(String cause) {
        for (int i = 0; i < CAUSES.length; i++) {
            if (CAUSES[i].equals(cause)) {
                return i;
            }
        }
        throw new dev.sonde.maps.SondeException(dev.sonde.maps.Errno.EINVAL, "unknown drop cause '" + cause
                + "'; use one of " + String.join(", ", CAUSES));
    }

    /** Counts records the exporters themselves dropped. Lock-free: called from export threads. */
    public void dropped(String cause, long n) {
        own.getAndAdd(cause(cause), n);
    }

    /** One relay dump (an {@code exceptions} program's trigger) exported. */
    public void dumpExported() {
        dumpsExported.incrementAndGet();
    }

    /** Relay dumps exported so far. */
    public long dumpsExported() {
        return dumpsExported.get();
    }

    /** Adds a running total of drops (a ringbuf's, a relay's); returns the handle that removes it. */
    public AutoCloseable registerDropped(String cause, LongSupplier total) {
        Source s = new Source(cause(cause), total);
        dropSources.add(s);
        return () -> dropSources.remove(s);
    }

    /** Adds a program's run and error counts (its {@code ProgStats}); returns the handle that removes it. */
    public AutoCloseable registerProgram(String name, LongSupplier runs, LongSupplier errors) {
        Program p = new Program(name, runs, errors);
        programs.add(p);
        return () -> programs.remove(p);
    }

    /**
     * Adds a changing set of programs (the agent's loaded programs): read at each collection, so programs loaded
     * or unloaded later show up or go without registering each. Returns the handle that removes the source.
     */
    public AutoCloseable registerPrograms(Supplier<? extends Collection<? extends dev.sonde.probes.Program>> source) {
        programSources.add(source);
        return () -> programSources.remove(source);
    }

    /** Total drops of {@code cause} right now. */
    public long droppedTotal(String cause) {
        int c = cause(cause);
        long n = own.get(c);
        for (Source s : dropSources) {
            if (s.cause == c) {
                n += s.total.getAsLong();
            }
        }
        return n;
    }

    @Override
    public Collection<MetricData> produce(Resource resource) {
        long now = System.currentTimeMillis() * 1_000_000L;
        List<LongPointData> dropped = new ArrayList<>();
        for (String c : CAUSES) {
            dropped.add(LongPointData.create(start, now, Attributes.of(CAUSE, c), droppedTotal(c)));
        }
        List<LongPointData> runs = new ArrayList<>();
        List<LongPointData> errors = new ArrayList<>();
        List<LongPointData> dumps = new ArrayList<>();
        dumps.add(LongPointData.create(start, now, Attributes.of(OUTCOME, "exported"), dumpsExported.get()));
        for (Program p : programs) {
            runs.add(LongPointData.create(start, now, p.attrs, p.runs.getAsLong()));
            errors.add(LongPointData.create(start, now, p.attrs, p.errors.getAsLong()));
        }
        for (Supplier<? extends Collection<? extends dev.sonde.probes.Program>> src : programSources) {
            for (dev.sonde.probes.Program p : src.get()) {
                Attributes a = Attributes.of(PROGRAM, p.name());
                runs.add(LongPointData.create(start, now, a, p.stats().runCount()));
                errors.add(LongPointData.create(start, now, a, p.stats().errors()));
                if (p instanceof dev.sonde.probes.builtin.Exceptions e && e.dumpRelay() != null) {
                    dumps.add(LongPointData.create(start, now, Attributes.of(PROGRAM, p.name(), OUTCOME, "requested"),
                            e.dumpsRequested()));
                    dumps.add(LongPointData.create(start, now, Attributes.of(PROGRAM, p.name(), OUTCOME,
                            "rate_limited"), e.dumpsRateLimited()));
                    dumps.add(LongPointData.create(start, now, Attributes.of(PROGRAM, p.name(), OUTCOME, "unserved"),
                            e.dumpsUnserved()));
                }
            }
        }
        List<MetricData> out = new ArrayList<>(4);
        out.add(sum(resource, "sonde.records.dropped", "Records Sonde dropped, by cause", "{record}", dropped));
        out.add(sum(resource, "sonde.relay.dumps", "Relay dumps asked for by exceptions programs, by outcome", "{dump}",
                dumps));
        if (!runs.isEmpty()) {
            out.add(sum(resource, "sonde.program.runs", "Runs of each probe program", "{run}", runs));
            out.add(sum(resource, "sonde.program.errors", "Exceptions thrown by each probe program", "{error}", errors));
        }
        return out;
    }

    private static MetricData sum(Resource r, String name, String description, String unit,
            List<LongPointData> points) {
        return new SondeMetricData(r, SCOPE, name, description, unit,
                MetricDataType.LONG_SUM, SumData.createLongSumData(true, AggregationTemporality.CUMULATIVE, points));
    }
}
