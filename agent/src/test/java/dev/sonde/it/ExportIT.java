package dev.sonde.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.export.otlp.OtlpReceiver;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The agent's exporters end to end: a real JVM with {@code -javaagent:sonde-agent.jar=config=...} and an OTLP
 * endpoint exports to the exporters' test receiver over loopback (HTTP/protobuf and gRPC, this JDK and JDK 25
 * when installed); the receiver gets exactly one span per call, nested, an ERROR for the throwing call, the
 * count map as a metric, and a relay's lines as logs.
 */
class ExportIT {
    private static final int CALLS = 200;
    private static final String APP = ExportApp.class.getName();

    static Stream<Arguments> javaHomesAndProtocols() {
        List<Arguments> l = new ArrayList<>();
        for (String home : TargetJvm.javaHomes()) {
            l.add(Arguments.of(home, "http/protobuf"));
            l.add(Arguments.of(home, "grpc"));
        }
        return l.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("javaHomesAndProtocols")
    void everyCallIsOneNestedSpanAndTheCountIsAMetric(String javaHome, String protocol) throws Exception {
        Path dir = Paths.get(System.getProperty("sonde.dir", "target/sonde-it")).toAbsolutePath()
                .resolve("export-" + Paths.get(javaHome).getFileName() + "-" + protocol.replace('/', '-'));
        Files.createDirectories(dir);
        Path config = dir.resolve("probes.yaml");
        Files.writeString(config, String.join("\n",
                "maps:",
                "  - {name: spans, type: ringbuf, maxEntries: 262144}",
                "  - {name: outer_calls, type: hash, keySize: 8, valueSize: 8, maxEntries: 8}",
                "  - {name: outer_log, type: relay, subbufSize: 65536, nSubbufs: 4, numShards: 1}",
                "  - {name: fail_exc, type: hash, keySize: 8, valueSize: 8, maxEntries: 8}",
                "probes:",
                "  - {class: " + APP + ", method: outer, program: span, maps: [spans]}",
                "  - {class: " + APP + ", method: inner, program: span, maps: [spans]}",
                "  - {class: " + APP + ", method: fail, program: span, maps: [spans]}",
                "  - {class: " + APP + ", method: outer, program: count, maps: [outer_calls]}",
                "  - {class: " + APP + ", method: outer, program: record, maps: [outer_log]}",
                // The throwing call dumps the relay's last minute: every outer line once more, as a trigger.
                "  - {class: " + APP + ", method: fail, program: exceptions, maps: [fail_exc],"
                        + " options: {dump: {relay: outer_log, lastSeconds: 60, minInterval: 1h}}}",
                ""));
        try (OtlpReceiver receiver = OtlpReceiver.start()) {
            String endpoint = protocol.equals("grpc") ? receiver.grpcEndpoint() : receiver.httpEndpoint();
            List<String> out = run(javaHome, dir, "config=" + config, "-Dotel.exporter.otlp.endpoint=" + endpoint,
                    "-Dotel.exporter.otlp.protocol=" + protocol, "-Dotel.service.name=export-it",
                    "-Dsonde.metrics.interval=60m", // only the last collection, at exit, sends the count
                    "-Dsonde.relay.exportInterval=100ms");
            assertTrue(out.contains("DONE true"), "output " + out);
            assertFalse(out.stream().anyMatch(l -> l.startsWith("sonde:")), "sonde's complaints: " + out);

            List<Span> spans = receiver.awaitSpans(2 * CALLS + 1, Duration.ofSeconds(10));
            assertEquals(2 * CALLS + 1, spans.size(), "one span per call, none twice");
            Map<com.google.protobuf.ByteString, Span> outers = new HashMap<>();
            List<Span> inners = new ArrayList<>();
            List<Span> fails = new ArrayList<>();
            for (Span s : spans) {
                assertTrue(s.getEndTimeUnixNano() > s.getStartTimeUnixNano(), "duration > 0: " + s);
                switch (s.getName()) {
                    case "ExportApp.outer": outers.put(s.getSpanId(), s); break;
                    case "ExportApp.inner": inners.add(s); break;
                    case "ExportApp.fail": fails.add(s); break;
                    default: throw new AssertionError("unexpected span " + s.getName());
                }
            }
            assertEquals(CALLS, outers.size(), "distinct outer span ids");
            assertEquals(CALLS, inners.size());
            boolean[] seen = new boolean[CALLS];
            for (Span in : inners) {
                Span parent = outers.get(in.getParentSpanId());
                assertTrue(parent != null, "inner's parent is an outer span");
                assertEquals(parent.getTraceId(), in.getTraceId());
                long i = attr(parent, "arg0");
                assertEquals(2 * i, attr(in, "arg0"), "inner(2i) under outer(i)");
                assertFalse(seen[(int) i], "outer(" + i + ") has one child");
                seen[(int) i] = true;
                assertTrue(parent.getStartTimeUnixNano() <= in.getStartTimeUnixNano()
                        && in.getEndTimeUnixNano() <= parent.getEndTimeUnixNano(), "the child runs within its parent");
            }
            for (Span o : outers.values()) {
                assertTrue(o.getParentSpanId().isEmpty(), "outer is a root");
                assertEquals(Status.StatusCode.STATUS_CODE_UNSET, o.getStatus().getCode());
            }
            assertEquals(1, fails.size());
            Span f = fails.get(0);
            assertEquals(Status.StatusCode.STATUS_CODE_ERROR, f.getStatus().getCode());
            assertEquals("java.lang.IllegalStateException", f.getStatus().getMessage());
            assertEquals("exception", f.getEvents(0).getName());
            assertEquals("export-it", receiver.traceRequests().get(0).getResourceSpans(0).getResource()
                    .getAttributesList().stream().filter(kv -> kv.getKey().equals("service.name"))
                    .findFirst().orElseThrow().getValue().getStringValue());

            List<Metric> counts = receiver.awaitMetrics(ms -> ms.stream().anyMatch(m -> m.getName().equals("outer_calls")),
                    Duration.ofSeconds(10));
            List<NumberDataPoint> points = new ArrayList<>();
            counts.stream().filter(m -> m.getName().equals("outer_calls")).forEach(m -> points.addAll(m.getSum().getDataPointsList()));
            assertEquals(1, points.size(), "one key (the method), one collection: " + points);
            assertEquals(CALLS, points.get(0).getAsInt());

            List<io.opentelemetry.proto.logs.v1.LogRecord> logs = receiver.awaitLogRecords(2 * CALLS,
                    Duration.ofSeconds(10));
            assertEquals(2 * CALLS, logs.size(), "the relay's lines, once scheduled and once dumped");
            assertTrue(logs.stream().allMatch(l -> l.getBody().getStringValue().contains(" dev.sonde.it.ExportApp.outer ")),
                    "record lines: " + logs.get(0).getBody());
            Map<String, List<String>> byReason = new HashMap<>();
            for (io.opentelemetry.proto.logs.v1.LogRecord l : logs) {
                byReason.computeIfAbsent(logAttr(l, "sonde.relay.reason"), k -> new ArrayList<>())
                        .add(l.getBody().getStringValue());
                if (logAttr(l, "sonde.relay.reason").equals("trigger")) {
                    assertEquals("java.lang.IllegalStateException", logAttr(l, "sonde.trigger.exception"));
                    assertEquals("dev.sonde.it.ExportApp.fail", logAttr(l, "sonde.trigger.method"));
                }
            }
            assertEquals(CALLS, new java.util.HashSet<>(byReason.get("scheduled")).size(), "each line once, scheduled");
            assertEquals(byReason.get("scheduled").stream().sorted().toList(),
                    byReason.get("trigger").stream().sorted().toList(), "the dump: every line of the last minute");
        }
    }

    private static String logAttr(io.opentelemetry.proto.logs.v1.LogRecord l, String key) {
        for (KeyValue kv : l.getAttributesList()) {
            if (kv.getKey().equals(key)) {
                return kv.getValue().getStringValue();
            }
        }
        return "";
    }

    private static long attr(Span s, String key) {
        for (KeyValue kv : s.getAttributesList()) {
            if (kv.getKey().equals(key)) {
                return kv.getValue().getIntValue();
            }
        }
        throw new AssertionError(s.getName() + " has no " + key + ": " + s.getAttributesList());
    }

    /** Runs ExportApp with the agent to its exit (the agent's shutdown flushes); returns stdout and stderr. */
    private static List<String> run(String javaHome, Path dir, String agentArgs, String... jvmArgs)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(javaHome, "bin", "java").toString(), "-Xmx128m",
                "-Dsonde.dir=" + dir, "-javaagent:" + TargetJvm.agentJar() + "=" + agentArgs));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", Paths.get("target", "test-classes").toAbsolutePath().toString(), APP,
                Integer.toString(CALLS)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("ExportApp hangs; output " + output);
        }
        assertEquals(0, p.exitValue(), output);
        return output.lines().toList();
    }
}
