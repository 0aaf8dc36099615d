package dev.sonde.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.export.otlp.OtlpReceiver;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RingBuf;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.resources.Resource;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Span records committed to real ringbufs by several threads, drained, exported over OTLP/HTTP, counted exactly. */
class SpanRingDrainerTest {
    private final OtlpReceiver receiver = OtlpReceiver.start();

    @AfterEach
    void close() {
        receiver.close();
    }

    @Test
    void every_committed_record_of_every_ring_becomes_one_span() throws Exception {
        SondeTelemetry telemetry = new SondeTelemetry();
        int perThread = 3_000;
        try (RingBuf a = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("spans_a").maxEntries(1 << 16).build());
                RingBuf b = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("spans_b").maxEntries(1 << 16).build())) {
            SpanPipeline pipeline = new SpanPipeline(OtlpHttpSpanExporter.builder()
                    .setEndpoint(receiver.httpEndpoint() + "/v1/traces").build(), Resource.getDefault(), SpanRecords.NAMES, telemetry, 1024,
                    512, Duration.ofMillis(20), 1024, Duration.ofSeconds(10));
            SpanRingDrainer drainer = new SpanRingDrainer(pipeline, telemetry);
            drainer.add(a);
            drainer.add(b);
            Thread[] writers = new Thread[4];
            for (int t = 0; t < writers.length; t++) {
                RingBuf ring = t % 2 == 0 ? a : b;
                long tid = t;
                writers[t] = new Thread(() -> {
                    for (int i = 1; i <= perThread; i++) {
                        // A full ring refuses at once; the program would count it. Retry so the total is exact.
                        while (ring.output(SpanRecords.record(tid, i, 1, i, 0, i, "C", "m", ""), 0) != 0) {
                            Thread.yield();
                        }
                    }
                });
                writers[t].start();
            }
            for (Thread w : writers) {
                w.join();
            }
            List<Span> spans = receiver.awaitSpans(4 * perThread, Duration.ofSeconds(20));
            assertEquals(a.droppedRecords() + b.droppedRecords(), telemetry.droppedTotal(SondeTelemetry.RING_FULL));
            drainer.close();
            pipeline.close();
            assertEquals(4 * perThread, spans.size());
            Set<com.google.protobuf.ByteString> ids = new HashSet<>();
            spans.forEach(s -> ids.add(s.getTraceId().concat(s.getSpanId())));
            assertEquals(4 * perThread, ids.size(), "no record twice");
            assertEquals(4 * perThread, pipeline.exported());
        }
    }
}
