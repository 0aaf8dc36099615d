package dev.sonde.bench;

import dev.sonde.export.OtlpSenders;
import dev.sonde.export.SondeExporters;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RingBuf;
import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.builtin.SpanLayout;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Spans end to end, to a real OTLP/HTTP receiver on loopback ({@link OtlpSpanCounter}), side by side:
 * <ul>
 *   <li>{@code sonde}: span records written into a {@link RingBuf} the way the {@code span} program writes them
 *       (reserve, the {@link SpanLayout} words, commit; hook ids of the real {@link CheckoutService} methods),
 *       drained, decoded, batched and exported by the real {@link SondeExporters} pipeline;</li>
 *   <li>{@code otelSdk}: the same spans (names, attributes, root spans) made by the OpenTelemetry SDK's own tracer
 *       ({@code spanBuilder} / {@code startSpan} / {@code setAttribute} / {@code end}) with its
 *       {@code BatchSpanProcessor}.</li>
 * </ul>
 * Both build the SDK's OTLP exporter through the SDK's autoconfigure with the same settings (HTTP/protobuf, the
 * exporter's default memory mode, batches of 512, 200 ms delay). One operation is one span. The producer is held
 * to at most 8 batches ahead of what the receiver has counted, so neither side drops anything (checked
 * at the end of each trial: every span written must have been received, else the trial fails) and the operation
 * rate is the rate the receiver gets; the {@code received} counter reports that rate directly. With
 * {@code -prof gc}, {@code gc.alloc.rate.norm} is the whole process's allocation per span (producer, pipeline,
 * exporter, receiver); the receiver's own share is printed at the end of the trial.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ExportPipelineBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class ExportPipelineBenchmark {
    static final int RING_BYTES = 16 << 20;
    private static final long EPOCH_OFFSET = System.currentTimeMillis() * 1_000_000L - System.nanoTime();

    static final AttributeKey<String> CODE_NAMESPACE = AttributeKey.stringKey("code.namespace");
    static final AttributeKey<String> CODE_FUNCTION = AttributeKey.stringKey("code.function");
    static final AttributeKey<Long> THREAD_ID = AttributeKey.longKey("thread.id");
    static final AttributeKey<Long> ARG0 = AttributeKey.longKey("arg0");
    static final AttributeKey<Long> ARG1_LONG = AttributeKey.longKey("arg1");
    static final AttributeKey<Double> ARG1_DOUBLE = AttributeKey.doubleKey("arg1");
    static final AttributeKey<Boolean> ARG1_BOOLEAN = AttributeKey.booleanKey("arg1");

    /** The rate the receiver got, per producer thread (one). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Received {
        public long received;
        long base = -1;

        @Setup(Level.Iteration)
        public void reset() {
            received = 0;
            base = -1;
        }

        void update(OtlpSpanCounter c) {
            long n = c.spans();
            if (base < 0) {
                base = n;
            }
            received = n - base;
        }
    }

    /** What both sides share: the receiver, the settings, the methods, the producer's count and flow control. */
    abstract static class Side {
        OtlpSpanCounter receiver;
        TargetMethod[] methods;
        long written;
        long waits;

        void open() throws IOException {
            receiver = new OtlpSpanCounter();
            methods = CheckoutService.hookTable();
        }

        Map<String, String> otelSettings() {
            Map<String, String> m = new HashMap<>();
            m.put("otel.traces.exporter", "otlp");
            m.put("otel.metrics.exporter", "none");
            m.put("otel.logs.exporter", "none");
            m.put("otel.exporter.otlp.protocol", "http/protobuf");
            m.put("otel.exporter.otlp.traces.endpoint", receiver.tracesEndpoint());
            m.put("otel.service.name", "export-bench");
            m.put("otel.bsp.max.queue.size", Integer.toString(2 * window()));
            m.put("otel.bsp.max.export.batch.size", Integer.toString(batchSize()));
            m.put("otel.bsp.schedule.delay", "200");
            m.put("sonde.spans.batchSize", Integer.toString(batchSize()));
            m.put("sonde.spans.maxDelay", "200ms");
            return m;
        }

        /** Spans the producer may be ahead of the receiver: 8 batches, below every queue bound on either side. */
        final int window() {
            return 8 * batchSize();
        }

        /** Spans per export request, on both sides (Sonde's and the BatchSpanProcessor's default is 512). */
        abstract int batchSize();

        /** Parks while the producer is {@link #window} spans ahead of the receiver. */
        final void awaitCredit() {
            if (written - receiver.spans() >= window()) {
                waits++;
                receiver.awaitAtLeast(written - window() + 1);
            }
        }

        /** Waits until every span written was received; fails the trial when some never arrive. */
        final void drainAndCheck(String side) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (receiver.spans() < written && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
            long got = receiver.spans();
            long recvAlloc = receiver.allocatedBytes();
            System.out.printf("%n%s: %d spans written, %d received in %d requests (%d rejected), producer waited %d "
                    + "times; receiver thread allocated %.1f B/span%n", side, written, got, receiver.requests(),
                    receiver.rejected(), waits, got == 0 ? 0.0 : (double) recvAlloc / got);
            cpuPerSpan(got);
            if (got != written || receiver.rejected() != 0) {
                throw new IllegalStateException(side + ": " + written + " spans written but " + got
                        + " received (" + receiver.rejected() + " requests rejected): the pipeline dropped spans; "
                        + "lower the window or raise the queue bounds");
            }
        }
    }

    /** Where the time went: CPU per span of each live thread that used at least 1 ns per span, busiest first. */
    static void cpuPerSpan(long spans) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        StringBuilder sb = new StringBuilder("CPU ns/span by thread:");
        Thread.getAllStackTraces().keySet().stream()
                .map(t -> Map.entry(t.getName(), mx.getThreadCpuTime(t.getId())))
                .filter(e -> spans > 0 && e.getValue() / spans >= 1)
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .forEach(e -> sb.append(' ').append(e.getKey()).append('=').append(e.getValue() / spans));
        System.out.println(sb);
    }

    @State(Scope.Benchmark)
    public static class SondeSide extends Side {
        @Param({"512"})
        public int batchSize;
        SondeExporters exporters;
        RingBuf ring;
        long callId;
        long ringFull;

        @Override
        int batchSize() {
            return batchSize;
        }

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            BenchDir.ensure();
            open();
            exporters = SondeExporters.start(otelSettings());
            TargetMethod[] t = methods;
            exporters.spanNames(id -> id >= 1 && id <= t.length ? t[id - 1] : null);
            ring = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("spans").maxEntries(RING_BYTES)
                    .build());
            exporters.addSpanRing(ring);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                drainAndCheck("sonde (ring full retries " + ringFull + ", ring drops " + ring.droppedRecords()
                        + ", consumer wake-ups " + ring.wakeups() + ")");
            } finally {
                exporters.close();
                ring.close();
                receiver.close();
            }
        }
    }

    @State(Scope.Benchmark)
    public static class SdkSide extends Side {
        @Param({"512"})
        public int batchSize;
        OpenTelemetrySdk sdk;
        Tracer tracer;
        String[] spanNames;

        @Override
        int batchSize() {
            return batchSize;
        }

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            open();
            Map<String, String> settings = otelSettings();
            // The same exporter as Sonde's: autoconfigure's OTLP/HTTP exporter on the JDK HTTP client.
            sdk = AutoConfiguredOpenTelemetrySdk.builder().addPropertiesSupplier(() -> settings)
                    .setComponentLoader(OtlpSenders.componentLoader(SdkSide.class.getClassLoader()))
                    .disableShutdownHook().build().getOpenTelemetrySdk();
            // The scope Sonde's spans carry, so both sides send the same resource and scope.
            tracer = sdk.getTracer("dev.sonde.span");
            spanNames = new String[methods.length];
            for (int i = 0; i < methods.length; i++) {
                spanNames[i] = CheckoutService.class.getSimpleName() + "." + methods[i].methodName();
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                drainAndCheck("otelSdk");
            } finally {
                sdk.shutdown().join(10, TimeUnit.SECONDS);
                receiver.close();
            }
        }
    }

    /** A call's first argument: an id in a range large enough that boxing it is not served from a cache. */
    private static long arg0(long n) {
        return 1_000_000L + (n & 0xFFFF);
    }

    @Benchmark
    public void sonde(SondeSide s, Received r) {
        s.awaitCredit();
        long n = s.written;
        int i = (int) (n & 3);
        long begin = System.nanoTime();
        RingBuf ring = s.ring;
        long h;
        while ((h = ring.reserve(SpanLayout.SIZE)) < 0) {
            s.ringFull++; // the span program would drop it; the benchmark waits for room instead
            LockSupport.parkNanos(20_000);
        }
        long end = System.nanoTime();
        long d = end - begin;
        long call = ++s.callId;
        long a1 = i == 2 ? Double.doubleToRawLongBits(n * 0.25) : i == 3 ? n & 1 : n & 7;
        // As the span program writes a record: every word, in its layout.
        ring.putLong(h, SpanLayout.METHOD_OFFSET, s.methods[i].hookId());
        ring.putLong(h, SpanLayout.THREAD_OFFSET, Thread.currentThread().getId());
        ring.putLong(h, SpanLayout.START_OFFSET, end - d + EPOCH_OFFSET);
        ring.putLong(h, SpanLayout.DURATION_OFFSET, d);
        ring.putLong(h, SpanLayout.VALUE_OFFSET, n);
        ring.putInt(h, SpanLayout.FLAGS_OFFSET, 0);
        ring.putInt(h, SpanLayout.NARGS_OFFSET, 2);
        ring.putLong(h, SpanLayout.CALL_ID_OFFSET, call);
        ring.putLong(h, SpanLayout.PARENT_CALL_ID_OFFSET, 0);
        ring.putLong(h, SpanLayout.ROOT_CALL_ID_OFFSET, call);
        for (int j = 0; j < SpanLayout.MAX_ARGS; j++) {
            ring.putLong(h, SpanLayout.ARGS_OFFSET + 8 * j, j == 0 ? arg0(n) : j == 1 ? a1 : 0);
        }
        ring.commit(h, 0);
        s.written = n + 1;
        r.update(s.receiver);
    }

    @Benchmark
    public void otelSdk(SdkSide s, Received r) {
        s.awaitCredit();
        long n = s.written;
        int i = (int) (n & 3);
        TargetMethod m = s.methods[i];
        Span span = s.tracer.spanBuilder(s.spanNames[i]).setNoParent().startSpan();
        span.setAttribute(CODE_NAMESPACE, m.className());
        span.setAttribute(CODE_FUNCTION, m.methodName());
        span.setAttribute(THREAD_ID, Thread.currentThread().getId());
        span.setAttribute(ARG0, arg0(n));
        switch (i) {
            case 2: span.setAttribute(ARG1_DOUBLE, n * 0.25); break;
            case 3: span.setAttribute(ARG1_BOOLEAN, (n & 1) != 0); break;
            default: span.setAttribute(ARG1_LONG, n & 7); break;
        }
        span.end();
        s.written = n + 1;
        r.update(s.receiver);
    }
}
