package dev.sonde.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.export.otlp.OtlpReceiver;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RelayMap;
import dev.sonde.maps.RelayReader;
import dev.sonde.maps.RelayRecord;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Relay records as OTLP logs through the SDK's OTLP/gRPC log exporter into the real receiver. */
class RelayExporterTest {
    private final OtlpReceiver receiver = OtlpReceiver.start();
    private final SdkLoggerProvider logs = SdkLoggerProvider.builder()
            .addLogRecordProcessor(BatchLogRecordProcessor.builder(OtlpGrpcLogRecordExporter.builder()
                    .setEndpoint(receiver.grpcEndpoint()).build()).setScheduleDelay(Duration.ofMillis(20)).build())
            .build();
    private final SondeTelemetry telemetry = new SondeTelemetry();
    private RelayMap relay;

    @AfterEach
    void close() {
        logs.shutdown().join(10, TimeUnit.SECONDS);
        receiver.close();
        if (relay != null) {
            relay.close();
        }
    }

    private RelayMap relay(String name) {
        relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name(name).keySize(4).valueSize(64)
                .subbufSize(4096).nSubbufs(8).numShards(2).flags(MapSpec.F_RELAY_OVERWRITE).build());
        return relay;
    }

    private static void writeFrom2Threads(RelayMap r, String prefix, int perThread) throws InterruptedException {
        Thread[] ts = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int me = t;
            ts[t] = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    assertEquals(0, r.output((prefix + me + "-" + i + "\n").getBytes(StandardCharsets.UTF_8)));
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
    }

    private static Map<String, Object> attrs(LogRecord l) {
        Map<String, Object> m = new HashMap<>();
        for (KeyValue kv : l.getAttributesList()) {
            m.put(kv.getKey(), kv.getValue().hasIntValue() ? (Object) kv.getValue().getIntValue() : kv.getValue().getStringValue());
        }
        return m;
    }

    @Test
    void a_snapshot_on_demand_is_one_log_record_per_relay_record_attribute_by_attribute() throws Exception {
        RelayMap r = relay("rx_demand");
        writeFrom2Threads(r, "order ", 20);
        assertEquals(0, r.output(new byte[] {1, 2, 0, (byte) 0xFF}));
        List<RelayRecord> expected = RelayReader.read(r).records();
        assertEquals(41, expected.size());
        try (RelayExporter ex = new RelayExporter(logs, telemetry, Duration.ZERO)) {
            ex.add(r);
            assertEquals(41, ex.exportSnapshot(r));
        }
        List<LogRecord> got = receiver.awaitLogRecords(41, Duration.ofSeconds(10));
        assertEquals(41, got.size());
        for (int i = 0; i < 41; i++) {
            RelayRecord want = expected.get(i);
            LogRecord l = got.get(i);
            assertEquals(want.epochNanos(), l.getTimeUnixNano());
            Map<String, Object> a = attrs(l);
            assertEquals("rx_demand", a.get("sonde.relay.map"));
            assertEquals((long) want.shard(), a.get("sonde.relay.shard"));
            assertEquals(want.lap(), a.get("sonde.relay.lap"));
            assertEquals((long) i, a.get("sonde.relay.seq"));
            assertEquals("on_demand", a.get("sonde.relay.reason"));
            if (i < 40) {
                assertEquals(want.text().substring(0, want.text().length() - 1), l.getBody().getStringValue());
            } else {
                assertArrayEquals(new byte[] {1, 2, 0, (byte) 0xFF}, l.getBody().getBytesValue().toByteArray());
            }
        }
    }

    @Test
    void the_schedule_exports_each_record_once() throws Exception {
        RelayMap r = relay("rx_sched");
        try (RelayExporter ex = new RelayExporter(logs, telemetry, Duration.ofMillis(50))) {
            ex.add(r);
            writeFrom2Threads(r, "a", 10);
            receiver.awaitLogRecords(20, Duration.ofSeconds(10));
            writeFrom2Threads(r, "b", 5);
            receiver.awaitLogRecords(30, Duration.ofSeconds(10));
        }
        assertTrue(logs.forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
        Set<String> bodies = new HashSet<>();
        for (LogRecord l : receiver.logRecords()) {
            assertEquals("scheduled", attrs(l).get("sonde.relay.reason"));
            assertTrue(bodies.add(l.getBody().getStringValue()), "exported twice: " + l.getBody().getStringValue());
        }
        assertEquals(30, bodies.size());
    }

    @Test
    void the_schedule_exports_the_records_of_private_files_too() throws Exception {
        relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name("rx_private").keySize(4).valueSize(64)
                .subbufSize(4096).nSubbufs(8).numShards(2)
                .flags(MapSpec.F_RELAY_OVERWRITE | MapSpec.F_RELAY_PRIVATE_SHARDS).build());
        int n = 300; // about three sub-buffers: the thread owns its private file after the first
        try (RelayExporter ex = new RelayExporter(logs, telemetry, Duration.ofMillis(50))) {
            ex.add(relay);
            for (int i = 0; i < n; i++) {
                assertEquals(0, relay.output(("private record " + i).getBytes(StandardCharsets.UTF_8)));
            }
            receiver.awaitLogRecords(n, Duration.ofSeconds(10));
        }
        assertTrue(logs.forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
        Set<String> bodies = new HashSet<>();
        long inPrivate = 0;
        for (LogRecord l : receiver.logRecords()) {
            assertTrue(bodies.add(l.getBody().getStringValue()), "exported twice: " + l.getBody().getStringValue());
            inPrivate += (long) attrs(l).get("sonde.relay.shard") >= relay.numShards() ? 1 : 0;
        }
        assertEquals(n, bodies.size());
        assertTrue(inPrivate > n / 2, inPrivate + " of " + n + " records came from the private file");
    }

    /**
     * A coarse relay stamps every record of one millisecond with the same time, so a record written just after a
     * pass may carry the timestamp of the pass's newest one: the pass's mark is a position, not a time.
     */
    @Test
    void the_schedule_exports_records_that_share_a_timestamp_with_the_last_pass() throws Exception {
        relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name("rx_coarse").keySize(4).valueSize(64)
                .subbufSize(4096).nSubbufs(64).numShards(1)
                .flags(MapSpec.F_RELAY_OVERWRITE | MapSpec.F_RELAY_COARSE_CLOCK).build());
        int written = 0;
        int exported = 0;
        List<Integer> passes = new java.util.ArrayList<>();
        try (RelayExporter ex = new RelayExporter(logs, telemetry, Duration.ZERO)) {
            ex.add(relay);
            for (int round = 0; round < 40; round++) {
                for (int k = 0; k < 2; k++) {
                    assertEquals(0, relay.output(("coarse " + written++).getBytes(StandardCharsets.UTF_8)));
                }
                exported += ex.exportNew();
                passes.add(written);
            }
        }
        List<RelayRecord> recs = RelayReader.read(relay).records();
        assertEquals(written, recs.size());
        int ties = 0;
        for (int p : passes) {
            if (p < recs.size() && recs.get(p).timestamp() == recs.get(p - 1).timestamp()) {
                ties++; // the first record after a pass has the time of the last one it exported
            }
        }
        assertTrue(ties > 0, "no pass ended inside a clock tick: the test did not exercise its case");
        assertEquals(written, exported, ties + " passes ended inside a clock tick");
        assertEquals(written, receiver.awaitLogRecords(written, Duration.ofSeconds(10)).size());
    }

    @Test
    void the_schedule_holds_back_what_follows_a_record_still_being_written_then_sends_both() throws Exception {
        relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name("rx_pending").keySize(4).valueSize(64)
                .subbufSize(4096).nSubbufs(8).numShards(1).flags(MapSpec.F_RELAY_OVERWRITE).build());
        try (RelayExporter ex = new RelayExporter(logs, telemetry, Duration.ZERO)) {
            ex.add(relay);
            assertEquals(0, relay.output("before".getBytes(StandardCharsets.UTF_8)));
            long h = relay.reserve(5);
            assertEquals(0, relay.putBytes(h, 0, "inner".getBytes(StandardCharsets.UTF_8)));
            assertEquals(0, relay.output("after 1".getBytes(StandardCharsets.UTF_8)));
            assertEquals(0, relay.output("after 2".getBytes(StandardCharsets.UTF_8)));
            assertEquals(1, ex.exportNew(), "what follows the open reservation waits for it");
            assertEquals(0, relay.commit(h));
            assertEquals(3, ex.exportNew(), "then goes with it, in order");

            long never = relay.reserve(5); // never committed
            assertTrue(never >= 0);
            assertEquals(0, relay.output("late".getBytes(StandardCharsets.UTF_8)));
            for (int i = 0; i < RelayExporter.MAX_HOLD_PASSES; i++) {
                assertEquals(0, ex.exportNew(), "pass " + i + " waits for the reservation");
            }
            assertEquals(1, ex.exportNew(), "a reservation never committed holds the file back no longer");
            assertEquals(0, ex.exportNew());
        }
        List<String> bodies = new java.util.ArrayList<>();
        for (LogRecord l : receiver.awaitLogRecords(5, Duration.ofSeconds(10))) {
            bodies.add(l.getBody().getStringValue());
        }
        assertEquals(List.of("before", "inner", "after 1", "after 2", "late"), bodies);
    }

    @Test
    void a_trigger_exports_the_last_n_seconds_only() throws Exception {
        RelayMap r = relay("rx_trig");
        try (RelayExporter ex = new RelayExporter(logs, telemetry, Duration.ZERO)) {
            int slot = ex.add(r);
            writeFrom2Threads(r, "old", 5);
            Thread.sleep(1_000);
            writeFrom2Threads(r, "new", 3);
            assertEquals(0, ex.trigger(slot, TimeUnit.MILLISECONDS.toNanos(500)));
            assertEquals(-22, ex.trigger(7, 1));
            receiver.awaitLogRecords(6, Duration.ofSeconds(10));
        }
        assertTrue(logs.forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
        Set<String> bodies = new HashSet<>();
        for (LogRecord l : receiver.logRecords()) {
            assertEquals("trigger", attrs(l).get("sonde.relay.reason"));
            bodies.add(l.getBody().getStringValue());
        }
        assertEquals(Set.of("new0-0", "new0-1", "new0-2", "new1-0", "new1-1", "new1-2"), bodies);
    }

    @Test
    void overwritten_sub_buffers_are_reported_as_drops() throws Exception {
        RelayMap r = relay("rx_over");
        try (RelayExporter ex = new RelayExporter(logs, telemetry, Duration.ZERO)) {
            ex.add(r);
            writeFrom2Threads(r, "x".repeat(200), 400); // far more than 2 shards x 8 x 4 KiB
            assertTrue(r.overwritten() > 0);
            assertEquals(r.overwritten(), telemetry.droppedTotal(SondeTelemetry.RELAY_OVERWRITTEN));
        }
    }
}
