package dev.sonde.export;

import dev.sonde.maps.Errno;
import dev.sonde.maps.RelayMap;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.SondeException;
import dev.sonde.probes.structops.PacingCtx;
import dev.sonde.probes.structops.PacingPolicy;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The exporters' one entry point for the agent: builds the OpenTelemetry SDK the OpenTelemetry way (autoconfigure:
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_PROTOCOL}, {@code OTEL_SERVICE_NAME},
 * {@code OTEL_RESOURCE_ATTRIBUTES}, {@code OTEL_{TRACES,METRICS,LOGS}_EXPORTER} = otlp|console|none and their
 * {@code otel.*} system properties) and hangs Sonde's parts on it: maps as metrics, Sonde's own metrics, and the
 * file exporter. Settings in the map given to {@link #start(Map)} win over system properties and environment;
 * {@code otel.*} keys go to autoconfigure, {@code sonde.*} keys are Sonde's:
 * <ul>
 *   <li>{@code sonde.metrics.interval} (10s): how often maps are read and exported;</li>
 *   <li>{@code sonde.metrics.temporality} (cumulative | delta; default: the OTLP exporter's temporality
 *       preference), {@code sonde.metrics.histogram} (exponential | explicit), {@code sonde.metrics.log2Maps}
 *       (comma-separated arrays that are log2 histograms);</li>
 *   <li>{@code sonde.export.file}: also write OTLP JSON lines there ({@link OtlpJsonFile}); when it is set, the
 *       {@code otel.*.exporter} settings left unset default to none instead of otlp, for recording without a
 *       backend;</li>
 *   <li>{@code sonde.relay.exportInterval} (0 = off): how often relays' new records are exported as logs;</li>
 *   <li>{@code sonde.spans.batchSize} (512), {@code sonde.spans.maxDelay} (200ms),
 *       {@code sonde.spans.maxPendingBatches} (8), {@code sonde.spans.capacity} (4096 Disruptor slots): the span
 *       pipeline's bounds ({@link SpanBatcher});</li>
 *   <li>{@code sonde.spans.minBatchSize} (32), {@code sonde.spans.maxBackoff} (5s), {@code sonde.spans.targetLatency}
 *       (1s): the pacing policy's room ({@link PacingPolicy}, AIMD by default): batches between minBatchSize and
 *       batchSize spans, delays between maxDelay and maxBackoff, exports slower than targetLatency count as
 *       congestion;</li>
 *   <li>{@code sonde.shutdownTimeout} (5s): how long {@link #close()} may take to drain and flush.</li>
 * </ul>
 */
public final class SondeExporters implements AutoCloseable {
    private final OpenTelemetrySdk sdk;
    private final MapMetrics mapMetrics;
    private final SondeTelemetry telemetry;
    private final OtlpJsonFile file;
    private final Duration shutdownTimeout;
    /** The log exporters, so that shutdown counts what they still have in flight before the last metrics. */
    private final List<CountingLogExporter> logExporters;
    private final SondeConfig config;
    private final SpanExporter spanExporter;
    private final Resource resource;
    private final RelayExporter relays;
    private SpanPipeline spans;
    private volatile SpanNames names = methodId -> null;
    private SpanRingDrainer drainer;

    private SondeExporters(OpenTelemetrySdk sdk, MapMetrics mapMetrics, SondeTelemetry telemetry, OtlpJsonFile file,
            Duration shutdownTimeout, SondeConfig config, SpanExporter spanExporter, Resource resource,
            List<CountingLogExporter> logExporters) {
        this.logExporters = logExporters;
        this.spanExporter = spanExporter;
        this.resource = resource;
        this.relays = new RelayExporter(sdk.getLogsBridge(), telemetry,
                config.duration("sonde.relay.exportInterval", Duration.ZERO));
        this.sdk = sdk;
        this.mapMetrics = mapMetrics;
        this.telemetry = telemetry;
        this.file = file;
        this.shutdownTimeout = shutdownTimeout;
        this.config = config;
        // Exceptions programs' dump requests come here (one exporter per JVM: the latest started serves them).
        dev.sonde.probes.builtin.RelayDumps.sink(relays);
    }

    /** Starts with system properties and environment only. */
    public static SondeExporters start() {
        return start(Map.of());
    }

    public static SondeExporters start(Map<String, String> settings) {
        SondeConfig cfg = new SondeConfig(settings);
        // Bad pacing bounds fail here, at start, not when the first span ring arrives; and the pacing_ops
        // subsystem is registered from now on, so a policy map can be made before any span flows.
        pacing(cfg);
        PacingPolicy.TYPE.name();
        Duration interval = cfg.duration("sonde.metrics.interval", Duration.ofSeconds(10));
        Duration shutdownTimeout = cfg.duration("sonde.shutdownTimeout", Duration.ofSeconds(5));
        String fileName = cfg.get("sonde.export.file");
        OtlpJsonFile file = fileName == null ? null : OtlpJsonFile.open(fileName);
        SondeTelemetry telemetry = new SondeTelemetry();

        Map<String, String> defaults = new HashMap<>();
        // Sonde reads maps every 10 s by default, not the SDK's 60 s: maps are cheap to read and tests are short.
        defaults.put("otel.metric.export.interval", Long.toString(interval.toMillis()));
        // A relay dump is thousands of records at once: room for them in the log processor's queue.
        defaults.put("otel.blrp.max.queue.size", "16384");
        if (file != null) {
            defaults.put("otel.traces.exporter", "none");
            defaults.put("otel.metrics.exporter", "none");
            defaults.put("otel.logs.exporter", "none");
        }
        Map<String, String> overrides = new HashMap<>();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (e.getKey().startsWith("otel.")) {
                overrides.put(e.getKey(), e.getValue());
            }
        }
        if (cfg.get("sonde.metrics.interval") != null) {
            overrides.put("otel.metric.export.interval", Long.toString(interval.toMillis()));
        }
        // Spans come from Sonde's rings, not from the SDK's tracer: the exporters autoconfigure builds are
        // captured here and fed by the span pipeline (the file's joins them).
        List<SpanExporter> spanExporters = new ArrayList<>();
        if (file != null) {
            spanExporters.add(file.spanExporter());
        }
        Resource[] resource = new Resource[1];
        MapMetrics[] made = new MapMetrics[1];
        ExportHealth[] spanHealth = new ExportHealth[1];
        List<CountingLogExporter> logExporters = new ArrayList<>();
        AutoConfiguredOpenTelemetrySdk auto = AutoConfiguredOpenTelemetrySdk.builder()
                // OTLP/HTTP through java.net.http: OkHttp's requests stall on delayed ACKs (OtlpSenders).
                .setComponentLoader(OtlpSenders.componentLoader(SondeExporters.class.getClassLoader()))
                .addPropertiesSupplier(() -> defaults)
                .addPropertiesCustomizer(props -> overrides)
                .addSpanExporterCustomizer((e, props) -> {
                    spanExporters.add(e);
                    spanHealth[0] = ExportHealth.of("traces", props);
                    return e;
                })
                .addMetricExporterCustomizer((e, props) -> new ReportingMetricExporter(e, ExportHealth.of("metrics", props)))
                .addLogRecordExporterCustomizer((e, props) -> counting(logExporters,
                        new CountingLogExporter(e, telemetry, ExportHealth.of("logs", props))))
                .addResourceCustomizer((r, props) -> {
                    resource[0] = r;
                    return r;
                })
                .addMeterProviderCustomizer((b, props) -> {
                    made[0] = mapMetrics(cfg, props, file != null);
                    b.registerMetricProducer(made[0]).registerMetricProducer(telemetry);
                    if (file != null) {
                        b.registerMetricReader(PeriodicMetricReader.builder(file.metricExporter()).setInterval(interval)
                                .build());
                    }
                    return b;
                })
                .addTracerProviderCustomizer((b, props) -> file == null ? b
                        : b.addSpanProcessor(BatchSpanProcessor.builder(file.spanExporter()).build()))
                .addLoggerProviderCustomizer((b, props) -> file == null ? b
                        : b.addLogRecordProcessor(BatchLogRecordProcessor.builder(counting(logExporters,
                                new CountingLogExporter(file.logExporter(), telemetry,
                                        new ExportHealth("logs", "the file " + fileName)))).build()))
                .disableShutdownHook()
                .build();
        SpanExporter spans = SpanExporter.composite(spanExporters);
        if (spanHealth[0] != null) {
            spans = new ReportingSpanExporter(spans, spanHealth[0]);
        }
        return new SondeExporters(auto.getOpenTelemetrySdk(), made[0], telemetry, file, shutdownTimeout, cfg,
                spans, resource[0] == null ? Resource.getDefault() : resource[0], logExporters);
    }

    private static CountingLogExporter counting(List<CountingLogExporter> all, CountingLogExporter e) {
        synchronized (all) {
            all.add(e);
        }
        return e;
    }

    private static MapMetrics mapMetrics(SondeConfig cfg, ConfigProperties props, boolean fileReader) {
        String preference = props.getString("otel.exporter.otlp.metrics.temporality.preference", "cumulative");
        AggregationTemporality dflt = "delta".equals(preference.toLowerCase(Locale.ROOT))
                ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
        AggregationTemporality t = cfg.choice("sonde.metrics.temporality", AggregationTemporality.class, dflt);
        boolean otherReader = !"none".equals(props.getString("otel.metrics.exporter", "otlp"));
        if (t == AggregationTemporality.DELTA && fileReader && otherReader) {
            // A producer is collected by every reader: two readers would each take half of every delta.
            System.err.println("sonde: delta temporality needs a single metrics exporter; exporting cumulative "
                    + "metrics to both the file and " + props.getString("otel.metrics.exporter", "otlp")
                    + " (set otel.metrics.exporter=none or drop sonde.export.file to get deltas)");
            t = AggregationTemporality.CUMULATIVE;
        }
        MapMetrics.Builder b = MapMetrics.builder().temporality(t)
                .histogramKind(cfg.choice("sonde.metrics.histogram", MapMetrics.HistogramKind.class,
                        MapMetrics.HistogramKind.EXPONENTIAL));
        String log2 = cfg.get("sonde.metrics.log2Maps");
        if (log2 != null) {
            for (String name : log2.split(",")) {
                if (!name.isBlank()) {
                    b.log2Map(name.trim());
                }
            }
        }
        return b.build();
    }

    public OpenTelemetrySdk sdk() {
        return sdk;
    }

    public MapMetrics mapMetrics() {
        return mapMetrics;
    }

    public SondeTelemetry telemetry() {
        return telemetry;
    }

    /** Relays as logs: {@link RelayExporter#add}, then {@link RelayExporter#exportSnapshot} or {@link RelayExporter#trigger}. */
    public RelayExporter relays() {
        return relays;
    }

    /** Names the methods behind span records' method ids (the agent's hook table); set before the first ring. */
    public void spanNames(SpanNames names) {
        this.names = names;
        relays.names(names);
    }

    /** Exports the span records of {@code ring} ({@link dev.sonde.probes.builtin.SpanLayout}) as OTLP spans. */
    public synchronized void addSpanRing(RingBuf ring) {
        if (spans == null) {
            // Delegates, so names set after the pipeline exists still apply.
            SpanNames delegate = new SpanNames() {
                @Override
                public dev.sonde.probes.TargetMethod method(int methodId) {
                    return names.method(methodId);
                }

                @Override
                public String exceptionName(long hash) {
                    return names.exceptionName(hash);
                }
            };
            spans = new SpanPipeline(spanExporter, resource, delegate, telemetry,
                    Integer.highestOneBit(Math.max(2, config.integer("sonde.spans.capacity", 4096))), pacing(config),
                    config.integer("sonde.spans.maxPendingBatches", 8), shutdownTimeout);
            drainer = new SpanRingDrainer(spans, telemetry);
        }
        drainer.add(ring);
    }

    /** The pacing policy's bounds from the {@code sonde.spans.*} settings; each pipeline gets its own context. */
    static PacingCtx pacing(SondeConfig config) {
        int maxBatch = config.integer("sonde.spans.batchSize", 512);
        Duration delay = config.duration("sonde.spans.maxDelay", Duration.ofMillis(200));
        // Unset, the back-off ceiling is 5 s or the delay itself when that is longer; set, it must be at least it.
        Duration backoff = config.duration("sonde.spans.maxBackoff",
                delay.compareTo(Duration.ofSeconds(5)) > 0 ? delay : Duration.ofSeconds(5));
        if (backoff.compareTo(delay) < 0) {
            throw new SondeException(Errno.EINVAL, "sonde.spans.maxBackoff=" + backoff.toMillis()
                    + "ms is shorter than sonde.spans.maxDelay=" + delay.toMillis() + "ms; set it to at least that");
        }
        int minBatch = config.integer("sonde.spans.minBatchSize", Math.min(32, maxBatch));
        if (minBatch > maxBatch) {
            throw new SondeException(Errno.EINVAL, "sonde.spans.minBatchSize=" + minBatch + " is above "
                    + "sonde.spans.batchSize=" + maxBatch + "; set it to at most that");
        }
        return new PacingCtx(minBatch, maxBatch, delay.toNanos(), backoff.toNanos(),
                config.duration("sonde.spans.targetLatency", Duration.ofSeconds(1)).toNanos());
    }

    /** The span pipeline, once a ring was added; else null. */
    public synchronized SpanPipeline spans() {
        return spans;
    }

    /** The file exporter's file, or null. */
    public OtlpJsonFile file() {
        return file;
    }

    Duration shutdownTimeout() {
        return shutdownTimeout;
    }

    SondeConfig config() {
        return config;
    }

    /**
     * Exports what is pending now (the span rings' records, a last metrics collection, queued spans and logs); waits
     * up to the shutdown timeout. True when every span record committed before the call was exported or counted
     * as dropped and the SDK's flush succeeded.
     */
    public boolean flush() {
        long deadline = System.nanoTime() + shutdownTimeout.toNanos();
        SpanRingDrainer d;
        SpanPipeline p;
        synchronized (this) {
            d = drainer;
            p = spans;
        }
        boolean spansOk = d == null || d.flush(deadline) && p.flush(deadline);
        CompletableResultCode all = CompletableResultCode.ofAll(java.util.List.of(sdk.getSdkMeterProvider().forceFlush(),
                sdk.getSdkTracerProvider().forceFlush(), sdk.getSdkLoggerProvider().forceFlush()));
        return all.join(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).isSuccess() && spansOk;
    }

    /**
     * Drains and flushes within {@code sonde.shutdownTimeout}, in an order that keeps the accounting whole when a
     * backend is down: spans get at most half of the time, logs up to three quarters; whatever either still has in
     * flight then is counted as dropped; and only then do the metric readers collect once more and export, so the
     * last {@code sonde.records.dropped} includes every loss. What is still unsent at the deadline is dropped.
     */
    @Override
    public void close() {
        long start = System.nanoTime();
        long budget = shutdownTimeout.toNanos();
        long deadline = start + budget;
        synchronized (this) {
            if (drainer != null) {
                drainer.close();
                spans.close(start + budget / 2);
            }
        }
        dev.sonde.probes.builtin.RelayDumps.clear(relays);
        relays.close();
        awaitBounded(() -> sdk.getSdkLoggerProvider().shutdown(), start + budget / 4 * 3);
        synchronized (logExporters) {
            logExporters.forEach(CountingLogExporter::abandon);
            // Relay records the log processor still held at the deadline (or dropped from its full queue) never
            // reached an exporter: what was emitted and never settled is counted, once, before the last metrics.
            long settled = Long.MAX_VALUE;
            for (CountingLogExporter e : logExporters) {
                settled = Math.min(settled, e.settled());
            }
            long neverSent = logExporters.isEmpty() ? 0 : relays.emitted() - settled;
            if (neverSent > 0) {
                telemetry.dropped(SondeTelemetry.BATCH_DROPPED, neverSent);
            }
        }
        awaitBounded(() -> CompletableResultCode.ofAll(java.util.List.of(sdk.getSdkTracerProvider().shutdown(),
                sdk.getSdkMeterProvider().shutdown())), deadline);
        if (file != null) {
            file.close();
        }
    }

    /**
     * Runs an SDK shutdown on a thread of its own (they block in places: a periodic reader waits up to 5 s for its
     * thread) and waits for it only until {@code deadlineNanos}.
     */
    private static void awaitBounded(java.util.function.Supplier<CompletableResultCode> shutdown, long deadlineNanos) {
        CompletableResultCode done = new CompletableResultCode();
        Thread t = new Thread(() -> shutdown.get().whenComplete(done::succeed), "sonde-exporters-shutdown");
        t.setDaemon(true);
        t.start();
        done.join(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
}
