package dev.sonde.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.export.otlp.OtlpReceiver;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.FieldType;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.RelayMap;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.Maps;
import dev.sonde.maps.SondeDir;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link SondeExporters#start} configured the OpenTelemetry way, against the real receiver and the file exporter. */
class SondeExportersTest {
    private final OtlpReceiver receiver = OtlpReceiver.start();
    private BpfMap map;

    @AfterEach
    void close() {
        receiver.close();
        if (map != null) {
            map.close();
        }
    }

    private Map<String, String> otlp(String protocol) {
        Map<String, String> s = new HashMap<>();
        s.put("otel.exporter.otlp.protocol", protocol);
        s.put("otel.exporter.otlp.endpoint", protocol.equals("grpc") ? receiver.grpcEndpoint() : receiver.httpEndpoint());
        s.put("otel.service.name", "orders");
        s.put("otel.resource.attributes", "team=obs,env=test");
        return s;
    }

    private static String attr(List<KeyValue> kvs, String key) {
        for (KeyValue kv : kvs) {
            if (kv.getKey().equals(key)) {
                return kv.getValue().hasIntValue() ? Long.toString(kv.getValue().getIntValue()) : kv.getValue().getStringValue();
            }
        }
        return null;
    }

    @ParameterizedTest
    @ValueSource(strings = {"grpc", "http/protobuf"})
    void maps_own_metrics_spans_and_logs_reach_the_otlp_endpoint(String protocol) {
        map = Maps.create(MapSpec.builder(MapType.HASH).name("se_calls").keySize(8).valueSize(8).maxEntries(16)
                .keyField("method", FieldType.U64, 0, 8).valueField("calls", FieldType.U64, 0, 8).build());
        map.incrementLong(5, 0, 12);
        try (SondeExporters ex = SondeExporters.start(otlp(protocol))) {
            AtomicLong ringDrops = new AtomicLong(3);
            ex.telemetry().registerDropped(SondeTelemetry.RING_FULL, ringDrops::get);
            ex.telemetry().dropped(SondeTelemetry.EXPORT_FAILED, 2);
            ex.telemetry().registerProgram("count_orders", () -> 40, () -> 1);
            ex.sdk().getTracer("t").spanBuilder("s1").startSpan().end();
            ex.sdk().getLogsBridge().get("l").logRecordBuilder().setBody("hello").emit();
            assertTrue(ex.flush());
        }
        assertEquals("s1", receiver.awaitSpans(1, Duration.ofSeconds(10)).get(0).getName());
        assertEquals("hello", receiver.awaitLogRecords(1, Duration.ofSeconds(10)).get(0).getBody().getStringValue());
        ResourceMetrics rm = receiver.awaitMetricRequests(1, Duration.ofSeconds(10)).get(0).getResourceMetrics(0);
        assertEquals("orders", attr(rm.getResource().getAttributesList(), "service.name"));
        assertEquals("obs", attr(rm.getResource().getAttributesList(), "team"));
        assertEquals("test", attr(rm.getResource().getAttributesList(), "env"));

        NumberDataPoint calls = receiver.metrics("se_calls.calls").get(0).getSum().getDataPoints(0);
        assertEquals(12, calls.getAsInt());
        assertEquals("5", attr(calls.getAttributesList(), "method"));

        Metric dropped = receiver.metrics("sonde.records.dropped").get(0);
        Map<String, Long> byCause = new HashMap<>();
        for (NumberDataPoint p : dropped.getSum().getDataPointsList()) {
            byCause.put(attr(p.getAttributesList(), "cause"), p.getAsInt());
        }
        assertEquals(Map.of("ring_full", 3L, "relay_overwritten", 0L, "export_failed", 2L, "batch_dropped", 0L), byCause);
        NumberDataPoint runs = receiver.metrics("sonde.program.runs").get(0).getSum().getDataPoints(0);
        assertEquals(40, runs.getAsInt());
        assertEquals("count_orders", attr(runs.getAttributesList(), "program"));
        assertEquals(1, receiver.metrics("sonde.program.errors").get(0).getSum().getDataPoints(0).getAsInt());
    }

    @Test
    void span_rings_and_relays_go_out_through_the_configured_exporters_and_close_drains_them() throws Exception {
        Map<String, String> s = otlp("grpc");
        s.put("sonde.spans.maxDelay", "10s"); // only close() can send the span: proves it drains
        try (RingBuf ring = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("se_spans").maxEntries(4096).build());
                RelayMap relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name("se_relay").keySize(4)
                        .valueSize(64).subbufSize(4096).nSubbufs(4).numShards(1).flags(MapSpec.F_RELAY_OVERWRITE).build())) {
            try (SondeExporters ex = SondeExporters.start(s)) {
                ex.spanNames(SpanRecords.NAMES);
                ex.addSpanRing(ring);
                assertEquals(0, ring.output(SpanRecords.record(3, 5_000, 70, 1, 0, 1, "a.B", "run", ""), 0));
                ex.relays().add(relay);
                assertEquals(0, relay.output("GET /orders 200\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                assertEquals(1, ex.relays().exportSnapshot(relay));
            }
            Span span = receiver.awaitSpans(1, Duration.ofSeconds(10)).get(0);
            assertEquals("B.run", span.getName());
            assertEquals(70, span.getEndTimeUnixNano() - span.getStartTimeUnixNano());
            assertEquals("orders", attr(receiver.traceRequests().get(0).getResourceSpans(0).getResource().getAttributesList(),
                    "service.name"));
            assertEquals("GET /orders 200", receiver.awaitLogRecords(1, Duration.ofSeconds(10)).get(0).getBody().getStringValue());
        }
    }

    @Test
    void relay_records_whose_export_fails_count_as_export_failed() throws Exception {
        receiver.mode(OtlpReceiver.Mode.UNAVAILABLE);
        Map<String, String> s = otlp("http/protobuf");
        s.put("otel.java.exporter.otlp.retry.disabled", "true"); // one refusal fails the export
        try (RelayMap relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name("se_fail").keySize(4)
                .valueSize(64).subbufSize(4096).nSubbufs(4).numShards(1).flags(MapSpec.F_RELAY_OVERWRITE).build())) {
            SondeExporters ex = SondeExporters.start(s);
            try {
                ex.relays().add(relay);
                for (int i = 0; i < 3; i++) {
                    assertEquals(0, relay.output(("r" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                }
                assertEquals(3, ex.relays().exportSnapshot(relay));
                ex.flush();
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (ex.telemetry().droppedTotal(SondeTelemetry.EXPORT_FAILED) < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(3, ex.telemetry().droppedTotal(SondeTelemetry.EXPORT_FAILED));
                assertTrue(receiver.refused() >= 1);
            } finally {
                ex.close();
            }
        }
    }

    @Test
    void maps_are_exported_every_sonde_metrics_interval() {
        Map<String, String> s = otlp("http/protobuf");
        s.put("sonde.metrics.interval", "100ms");
        s.put("otel.traces.exporter", "none");
        s.put("otel.logs.exporter", "none");
        SondeExporters ex = SondeExporters.start(s);
        try {
            assertTrue(receiver.awaitMetricRequests(3, Duration.ofSeconds(10)).size() >= 3);
        } finally {
            ex.close();
        }
    }

    @Test
    void system_properties_configure_like_the_environment_and_the_given_map_wins() {
        Map<String, String> s = new HashMap<>();
        s.put("otel.exporter.otlp.endpoint", receiver.httpEndpoint());
        s.put("otel.resource.attributes", "team=map");
        System.setProperty("otel.exporter.otlp.protocol", "http/protobuf");
        System.setProperty("otel.resource.attributes", "team=sysprop,zone=z1");
        System.setProperty("otel.service.name", "from-sysprop");
        System.setProperty("sonde.metrics.interval", "100ms");
        try {
            SondeExporters ex = SondeExporters.start(s);
            try {
                ResourceMetrics rm = receiver.awaitMetricRequests(1, Duration.ofSeconds(10)).get(0).getResourceMetrics(0);
                assertEquals("from-sysprop", attr(rm.getResource().getAttributesList(), "service.name"));
                assertEquals("map", attr(rm.getResource().getAttributesList(), "team"));
                assertEquals(null, attr(rm.getResource().getAttributesList(), "zone"), "the map replaces the property");
            } finally {
                ex.close();
            }
        } finally {
            System.clearProperty("otel.exporter.otlp.protocol");
            System.clearProperty("otel.resource.attributes");
            System.clearProperty("otel.service.name");
            System.clearProperty("sonde.metrics.interval");
        }
    }

    @Test
    void the_file_exporter_writes_one_otlp_json_request_per_line_0600_and_alone_by_default() throws Exception {
        map = Maps.create(MapSpec.builder(MapType.ARRAY).name("se_file").keySize(4).valueSize(8).maxEntries(4).build());
        map.incrementLong(2, 0, 9);
        Map<String, String> s = new HashMap<>();
        s.put("sonde.export.file", "export-test.jsonl");
        // An endpoint alone does not turn OTLP on: with a file, unset otel.*.exporter default to none.
        s.put("otel.exporter.otlp.endpoint", receiver.httpEndpoint());
        s.put("otel.exporter.otlp.protocol", "http/protobuf");
        Path file;
        try (SondeExporters ex = SondeExporters.start(s)) {
            file = ex.file().path();
            Files.deleteIfExists(file);
        }
        try (SondeExporters ex = SondeExporters.start(s)) {
            assertEquals(SondeDir.processDir().resolve("export-test.jsonl"), file);
            ex.sdk().getTracer("t").spanBuilder("in-file").startSpan().end();
            ex.sdk().getLogsBridge().get("l").logRecordBuilder().setBody("logged").emit();
            assertTrue(ex.flush());
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        List<String> lines = Files.readAllLines(file);
        String spans = lines.stream().filter(l -> l.startsWith("{\"resourceSpans\"")).findFirst().orElseThrow();
        assertTrue(spans.contains("\"name\":\"in-file\""), spans);
        String logs = lines.stream().filter(l -> l.startsWith("{\"resourceLogs\"")).findFirst().orElseThrow();
        assertTrue(logs.contains("\"stringValue\":\"logged\""), logs);
        String metrics = lines.stream().filter(l -> l.contains("\"se_file\"")).findFirst().orElseThrow();
        assertTrue(metrics.startsWith("{\"resourceMetrics\""), metrics);
        assertTrue(metrics.contains("\"asInt\":\"9\""), metrics);
        for (String l : lines) {
            assertTrue(l.startsWith("{") && l.endsWith("}"), "one request per line: " + l);
        }
        assertEquals(0, receiver.attempts(), "nothing went to the OTLP endpoint");
        Files.delete(file);
    }

    /** A loopback port nobody listens on: connections to it are refused at once. */
    private static int deadPort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void a_dead_trace_backend_is_reported_once_and_close_still_sends_the_last_metrics_with_every_span_counted()
            throws Exception {
        Map<String, String> s = otlp("http/protobuf");
        String dead = "http://127.0.0.1:" + deadPort() + "/v1/traces";
        s.put("otel.exporter.otlp.traces.endpoint", dead);
        s.put("sonde.metrics.interval", "60m"); // only close() sends metrics
        s.put("sonde.shutdownTimeout", "4s");
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try (RingBuf ring = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("se_dead").maxEntries(4096).build())) {
            SondeExporters ex = SondeExporters.start(s);
            ex.spanNames(SpanRecords.NAMES);
            ex.addSpanRing(ring);
            for (int i = 1; i <= 5; i++) {
                assertEquals(0, ring.output(SpanRecords.record(3, 5_000 * i, 70, i, 0, i, "a.B", "run", ""), 0));
            }
            ex.flush(); // the export fails after the SDK's retries, or is still retrying when close runs out of time
            ex.close();
        } finally {
            System.setErr(err);
        }
        Metric dropped = receiver.awaitMetrics(ms -> ms.stream().anyMatch(m -> m.getName().equals("sonde.records.dropped")),
                Duration.ofSeconds(10)).stream().filter(m -> m.getName().equals("sonde.records.dropped"))
                .reduce((a, b) -> b).orElseThrow(); // the last: flush() exported metrics before close did
        Map<String, Long> byCause = new HashMap<>();
        for (NumberDataPoint p : dropped.getSum().getDataPointsList()) {
            byCause.put(attr(p.getAttributesList(), "cause"), p.getAsInt());
        }
        assertEquals(5L, byCause.get("export_failed"), "every span counted, in the last metrics: " + byCause);
        String out = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        String line = "sonde: exporting traces to " + dead + " (http/protobuf) failed; Sonde retries with back-off";
        assertTrue(out.contains(line), out);
        assertEquals(1, out.split(java.util.regex.Pattern.quote(line), -1).length - 1, "reported once: " + out);
        assertTrue(receiver.spans().isEmpty());
    }

    @Test
    void relay_records_a_stalled_backend_never_took_are_all_counted_at_shutdown() throws Exception {
        receiver.mode(OtlpReceiver.Mode.STALL);
        Map<String, String> s = otlp("http/protobuf");
        s.put("sonde.shutdownTimeout", "1s");
        s.put("otel.blrp.max.export.batch.size", "16"); // one batch in flight, the rest queued behind it
        int n = 100;
        try (RelayMap relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name("se_stall").keySize(4)
                .valueSize(64).subbufSize(8192).nSubbufs(4).numShards(1).flags(MapSpec.F_RELAY_OVERWRITE).build())) {
            SondeExporters ex = SondeExporters.start(s);
            ex.relays().add(relay);
            for (int i = 0; i < n; i++) {
                assertEquals(0, relay.output(("line " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            assertEquals(n, ex.relays().exportSnapshot(relay));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (receiver.attempts() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            ex.close();
            long failed = ex.telemetry().droppedTotal(SondeTelemetry.EXPORT_FAILED);
            long neverSent = ex.telemetry().droppedTotal(SondeTelemetry.BATCH_DROPPED);
            assertTrue(failed > 0, "the stalled export counts as failed");
            assertEquals(n, failed + neverSent, "every record counted once: " + failed + " failed, " + neverSent
                    + " never sent");
        }
    }

    @Test
    void close_returns_within_the_shutdown_timeout_when_the_backend_stalls() throws Exception {
        receiver.mode(OtlpReceiver.Mode.STALL);
        Map<String, String> s = otlp("grpc");
        s.put("sonde.shutdownTimeout", "1s");
        SondeExporters ex = SondeExporters.start(s);
        ex.sdk().getTracer("t").spanBuilder("stuck").startSpan().end();
        ex.sdk().getSdkTracerProvider().forceFlush();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (receiver.attempts() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(receiver.attempts() >= 1, "the export reached the stalled receiver");
        long t0 = System.nanoTime();
        ex.close();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 5_000, "close took " + ms + " ms with a 1 s shutdown timeout");
        assertTrue(receiver.spans().isEmpty());
    }
}
