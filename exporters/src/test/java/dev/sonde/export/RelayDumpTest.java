package dev.sonde.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.export.otlp.OtlpReceiver;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RelayMap;
import dev.sonde.probes.AttachPoint;
import dev.sonde.probes.Program;
import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.builtin.Exceptions;
import dev.sonde.probes.config.ProbeFileParser;
import dev.sonde.probes.load.LoadedProbes;
import dev.sonde.probes.load.MapSource;
import dev.sonde.probes.load.ProbeLoader;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.resources.Resource;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 6's exception-triggered relay dump, in one JVM with the real exporters and OTLP receiver: an
 * {@code exceptions} program loaded from a probe file with {@code dump: {relay, lastSeconds, minInterval}} runs at
 * a method's exception exit; each dump it asks for arrives as exactly the relay records of the window before the
 * exception, once, tagged with the exception's class and method; exceptions within {@code minInterval} ask for
 * none; and {@code sonde.relay.dumps} counts both.
 */
class RelayDumpTest {
    private static final TargetMethod PAY = new TargetMethod(4242, "com.example.Checkout", "pay", "()V",
            new String[0], "void");
    private static final String PROBES = String.join("\n",
            "maps:",
            "  - {name: rd_exc, type: hash, keySize: 8, valueSize: 8, maxEntries: 16}",
            "  - {name: rd_flight, type: relay, subbufSize: 4096, nSubbufs: 8, numShards: 1, overwrite: true}",
            "probes:",
            "  - {class: com.example.Checkout, program: exceptions, maps: [rd_exc],",
            "     options: {dump: {relay: rd_flight, lastSeconds: 1, minInterval: 3s}}}",
            "");

    @Test
    void anExceptionDumpsTheRelaysLastSecondsOncePerMinInterval() throws Exception {
        try (OtlpReceiver receiver = OtlpReceiver.start();
                LoadedProbes probes = new ProbeLoader(MapSource.MAPS, getClass().getClassLoader())
                        .load(ProbeFileParser.parse("rd.yaml", PROBES, false))) {
            Map<String, String> s = new HashMap<>();
            s.put("otel.exporter.otlp.protocol", "grpc");
            s.put("otel.exporter.otlp.endpoint", receiver.grpcEndpoint());
            s.put("otel.blrp.schedule.delay", "50");
            s.put("sonde.metrics.interval", "60m");
            Exceptions prog = (Exceptions) probes.bindings().get(0).program();
            RelayMap flight = (RelayMap) Maps.byName("rd_flight");
            AttachPoint pay = new AttachPoint(PAY, new Program[0], new Program[0], new Program[] {prog});
            try (SondeExporters ex = SondeExporters.start(s)) {
                ex.spanNames(id -> id == PAY.hookId() ? PAY : null);
                ex.relays().add(flight); // as the agent hands over every relay of the probe file
                ex.telemetry().registerPrograms(() -> List.of(prog));

                write(flight, "old", 5);
                Thread.sleep(1_500); // old-* now lie outside the 1 s window
                write(flight, "new", 4);
                long t1 = System.nanoTime();
                throwFrom(pay, new IllegalStateException("card declined"));
                write(flight, "after", 2); // after the exception: outside its window
                throwFrom(pay, new IllegalArgumentException("again")); // within minInterval: no dump

                List<LogRecord> first = receiver.awaitLogRecords(4, Duration.ofSeconds(10));
                Thread.sleep(500); // room for anything that should not come
                assertEquals(List.of("new-0", "new-1", "new-2", "new-3"), bodies(receiver.logRecords()),
                        "exactly the window's records, once");
                for (LogRecord l : first) {
                    assertEquals("trigger", attr(l, "sonde.relay.reason"));
                    assertEquals("java.lang.IllegalStateException", attr(l, "sonde.trigger.exception"));
                    assertEquals("com.example.Checkout.pay", attr(l, "sonde.trigger.method"));
                    assertEquals("rd_flight", attr(l, "sonde.relay.map"));
                }

                Thread.sleep(Math.max(0, 3_100 - (System.nanoTime() - t1) / 1_000_000)); // minInterval has passed
                write(flight, "third", 3);
                throwFrom(pay, new java.io.UncheckedIOException(new java.io.IOException("disk")));
                receiver.awaitLogRecords(7, Duration.ofSeconds(10));
                Thread.sleep(300);
                List<String> all = bodies(receiver.logRecords());
                assertEquals(List.of("third-0", "third-1", "third-2"), all.subList(4, all.size()),
                        "the second dump: its own window only");
                assertEquals("java.io.UncheckedIOException", attr(receiver.logRecords().get(6),
                        "sonde.trigger.exception"));

                assertEquals(3, prog.stats().runCount());
                assertEquals(2, prog.dumpsRequested());
                assertEquals(1, prog.dumpsRateLimited());
                assertEquals(0, prog.dumpsUnserved());
                assertEquals(Map.of("requested", 2L, "rate_limited", 1L, "unserved", 0L, "exported", 2L),
                        dumps(ex.telemetry()));
            }
        }
    }

    @Test
    void withoutAnExporterADumpRequestIsCountedUnserved() {
        try (LoadedProbes probes = new ProbeLoader(MapSource.MAPS, getClass().getClassLoader())
                .load(ProbeFileParser.parse("rd.yaml", PROBES, false))) {
            Exceptions prog = (Exceptions) probes.bindings().get(0).program();
            throwFrom(new AttachPoint(PAY, new Program[0], new Program[0], new Program[] {prog}),
                    new IllegalStateException());
            assertEquals(0, prog.dumpsRequested());
            assertEquals(1, prog.dumpsUnserved());
        }
    }

    private static void throwFrom(AttachPoint ap, Throwable t) {
        long start = ap.enter(0, 0, 0, 0, 0, 0);
        ap.exit(start, 0, t, 0, 0, 0, 0, 0, 0);
    }

    private static void write(RelayMap r, String prefix, int n) {
        for (int i = 0; i < n; i++) {
            assertEquals(0, r.output((prefix + "-" + i + "\n").getBytes(StandardCharsets.UTF_8)));
        }
    }

    private static List<String> bodies(List<LogRecord> logs) {
        List<String> b = new ArrayList<>();
        logs.forEach(l -> b.add(l.getBody().getStringValue()));
        return b;
    }

    private static String attr(LogRecord l, String key) {
        for (KeyValue kv : l.getAttributesList()) {
            if (kv.getKey().equals(key)) {
                return kv.getValue().getStringValue();
            }
        }
        throw new AssertionError("no " + key + " in " + l.getAttributesList());
    }

    private static Map<String, Long> dumps(SondeTelemetry t) {
        Map<String, Long> m = new HashMap<>();
        for (MetricData d : t.produce(Resource.getDefault())) {
            if (d.getName().equals("sonde.relay.dumps")) {
                for (LongPointData p : d.getLongSumData().getPoints()) {
                    m.merge(p.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("outcome")),
                            p.getValue(), Long::sum);
                }
            }
        }
        return m;
    }
}
