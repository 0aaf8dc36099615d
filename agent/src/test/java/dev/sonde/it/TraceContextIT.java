package dev.sonde.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sonde.export.otlp.OtlpReceiver;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 6, the application's own trace context: a real JVM whose application traces itself with its own
 * OpenTelemetry API (1.44.1, older than Sonde's relocated copy), or through the OpenTelemetry Java agent, calls a
 * method Sonde's {@code span} program probes inside one of its spans. Sonde's span must arrive over OTLP in the
 * application's trace with the application's span as parent, its nested child under it, and a call outside any
 * application span must stay a root of Sonde's own trace: the whole tree joins up.
 */
class TraceContextIT {
    private static final int N = 20;
    private static final String APP = TraceContextApp.class.getName();
    private static final Path LIBS = Paths.get(System.getProperty("sonde.itLibs", "target/it-libs")).toAbsolutePath();
    private static final Path OTEL_AGENT = Paths.get(System.getProperty("sonde.itOtelAgent",
            "target/it-otel/opentelemetry-javaagent.jar")).toAbsolutePath();
    private static final String QUICK_JIT = "-XX:TieredStopAtLevel=1";
    private static final String PROBES = String.join("\n",
            "maps:",
            "  - {name: spans, type: ringbuf, maxEntries: 65536}",
            "probes:",
            "  - {class: " + APP + ", method: work, program: span, maps: [spans]}",
            "  - {class: " + APP + ", method: step, program: span, maps: [spans]}",
            "  - {class: " + APP + ", method: idle, program: span, maps: [spans]}",
            "");

    static List<String> javaHomes() {
        return TargetJvm.javaHomes();
    }

    static Stream<Arguments> otelOrders() {
        return Stream.of(Arguments.of(true), Arguments.of(false));
    }

    private static Path dir(String name) throws Exception {
        Path d = Paths.get(System.getProperty("sonde.dir", "target/sonde-it")).toAbsolutePath().resolve(name);
        Files.createDirectories(d);
        Files.writeString(d.resolve("tc.yaml"), PROBES);
        return d;
    }

    @ParameterizedTest
    @MethodSource("javaHomes")
    void sondeSpansJoinTheApplicationsOwnSdkTrace(String javaHome) throws Exception {
        Path d = dir("tc" + (javaHome.equals(System.getProperty("java.home")) ? "0" : "1"));
        List<Path> libs = InteropJvm.jarsIn(LIBS);
        Map<String, String[]> requests = new HashMap<>(); // span id -> {trace id, parent}
        List<Span> spans;
        try (OtlpReceiver receiver = OtlpReceiver.start();
                InteropJvm jvm = InteropJvm.start(javaHome, d, List.of(QUICK_JIT,
                        "-javaagent:" + TargetJvm.agentJar() + "=config=" + d.resolve("tc.yaml"),
                        "-Dotel.exporter.otlp.endpoint=" + receiver.httpEndpoint(),
                        "-Dotel.exporter.otlp.protocol=http/protobuf", "-Dotel.service.name=trace-context-it"),
                        libs, TraceContextApp.class, Integer.toString(N), "sdk")) {
            jvm.awaitReady(90);
            assertEquals("RESULT sum=" + expectedSum(), jvm.result(), "stderr " + jvm.err);
            assertEquals("application", appTraceContext(jvm));
            assertEquals(0, jvm.stop(), "stderr " + jvm.err); // the agent's shutdown flushes Sonde's spans
            for (String l : jvm.out) {
                if (l.startsWith("APPSPAN request ")) {
                    String[] p = l.split(" ");
                    requests.put(p[3], new String[] {p[2], p[4]});
                }
            }
            assertEquals(N, requests.size(), "the app's own spans: " + jvm.out);
            spans = receiver.awaitSpans(3 * N, Duration.ofSeconds(20));
        }
        assertTree(spans, requests);
    }

    @ParameterizedTest(name = "otelFirst={0}")
    @MethodSource("otelOrders")
    void sondeSpansJoinTheOpenTelemetryJavaAgentsTrace(boolean otelFirst) throws Exception {
        assertTrue(Files.isRegularFile(OTEL_AGENT), OTEL_AGENT + " is missing; run mvn -pl agent -am verify");
        Path d = dir(otelFirst ? "tco" : "tcs");
        // Only the API: the Java agent bridges it onto its own SDK, which exports to the same receiver.
        List<Path> libs = new ArrayList<>();
        for (Path p : InteropJvm.jarsIn(LIBS)) {
            String n = p.getFileName().toString();
            if (n.startsWith("opentelemetry-api-1") || n.startsWith("opentelemetry-context-")) {
                libs.add(p);
            }
        }
        assertEquals(2, libs.size(), libs.toString());
        List<Span> spans;
        try (OtlpReceiver receiver = OtlpReceiver.start()) {
            String otel = "-javaagent:" + OTEL_AGENT;
            String sonde = "-javaagent:" + TargetJvm.agentJar() + "=config=" + d.resolve("tc.yaml");
            List<String> args = new ArrayList<>(List.of(QUICK_JIT,
                    "-Dotel.exporter.otlp.endpoint=" + receiver.httpEndpoint(),
                    "-Dotel.exporter.otlp.protocol=http/protobuf", "-Dotel.service.name=trace-context-it",
                    "-Dotel.metrics.exporter=none", "-Dotel.logs.exporter=none", "-Dotel.bsp.schedule.delay=100"));
            args.addAll(otelFirst ? List.of(otel, sonde) : List.of(sonde, otel));
            try (InteropJvm jvm = InteropJvm.start(System.getProperty("java.home"), d, args, libs,
                    TraceContextApp.class, Integer.toString(N), "global")) {
                jvm.awaitReady(120);
                assertEquals("RESULT sum=" + expectedSum(), jvm.result(), "stderr " + jvm.err);
                assertEquals("opentelemetry-javaagent", appTraceContext(jvm), "the Java agent's context wins");
                assertEquals(0, jvm.stop(), "stderr " + jvm.err);
            }
            spans = receiver.awaitSpans(4 * N, Duration.ofSeconds(20));
        }
        Map<String, String[]> requests = new HashMap<>();
        for (Span s : spans) {
            if (s.getName().equals("request")) {
                requests.put(hex(s.getSpanId()), new String[] {hex(s.getTraceId()),
                        s.getParentSpanId().isEmpty() ? "-" : hex(s.getParentSpanId())});
            }
        }
        assertEquals(N, requests.size(), "the Java agent exported the app's spans");
        List<Span> sonde = new ArrayList<>();
        for (Span s : spans) {
            if (!s.getName().equals("request")) {
                sonde.add(s);
            }
        }
        assertTree(sonde, requests);
    }

    /**
     * Each app {@code request} span (a root) has exactly one Sonde {@code work} child in its trace, each work one
     * {@code step} child; every {@code idle} span is a root in a trace of its own.
     */
    private static void assertTree(List<Span> spans, Map<String, String[]> requests) {
        assertEquals(3 * N, spans.size(), "one Sonde span per call: " + names(spans));
        Map<String, Span> works = new HashMap<>();
        Set<String> requestsWithWork = new HashSet<>();
        Set<String> appTraces = new HashSet<>();
        for (String[] r : requests.values()) {
            assertEquals("-", r[1], "the app's request is a root");
            appTraces.add(r[0]);
        }
        for (Span s : spans) {
            if (s.getName().equals("TraceContextApp.work")) {
                String[] req = requests.get(hex(s.getParentSpanId()));
                assertTrue(req != null, "work's parent is one of the app's request spans: " + hex(s.getParentSpanId()));
                assertEquals(req[0], hex(s.getTraceId()), "work is in its request's trace");
                assertTrue(requestsWithWork.add(hex(s.getParentSpanId())), "one work per request");
                works.put(hex(s.getSpanId()), s);
            }
        }
        assertEquals(N, works.size());
        int steps = 0;
        int idles = 0;
        for (Span s : spans) {
            if (s.getName().equals("TraceContextApp.step")) {
                Span w = works.remove(hex(s.getParentSpanId()));
                assertTrue(w != null, "step's parent is a work span, once");
                assertEquals(hex(w.getTraceId()), hex(s.getTraceId()));
                steps++;
            } else if (s.getName().equals("TraceContextApp.idle")) {
                assertTrue(s.getParentSpanId().isEmpty(), "idle runs outside any app span: a root");
                assertFalse(appTraces.contains(hex(s.getTraceId())), "idle is not in an app trace");
                idles++;
            }
        }
        assertEquals(N, steps);
        assertEquals(N, idles);
    }

    /** agent.json's {@code appTraceContext}, once the status writer (every second) has seen a capture. */
    private static String appTraceContext(InteropJvm jvm) throws Exception {
        Path f = jvm.processDir().resolve("agent.json");
        String v = "missing";
        for (int i = 0; i < 50; i++) {
            try {
                v = new com.fasterxml.jackson.databind.ObjectMapper().readTree(f.toFile()).path("appTraceContext")
                        .asText("missing");
            } catch (java.io.IOException notYet) {
                v = "unreadable";
            }
            if (!v.equals("none") && !v.equals("missing") && !v.equals("unreadable")) {
                break;
            }
            Thread.sleep(100);
        }
        return v;
    }

    private static List<String> names(List<Span> spans) {
        List<String> n = new ArrayList<>();
        spans.forEach(s -> n.add(s.getName()));
        return n;
    }

    private static String hex(ByteString b) {
        return HexFormat.of().formatHex(b.toByteArray());
    }

    private static long expectedSum() {
        long s = 0;
        for (int i = 0; i < N; i++) {
            s += TraceContextApp.step(i) + 1 + TraceContextApp.idle(i);
        }
        return s;
    }
}
