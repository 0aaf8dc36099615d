package dev.sonde.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.export.otlp.OtlpReceiver;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.sdk.resources.Resource;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Span records through the Disruptor and the SDK's OTLP/gRPC exporter into the real receiver. */
class SpanPipelineTest {
    private final OtlpReceiver receiver = OtlpReceiver.start();
    private final SondeTelemetry telemetry = new SondeTelemetry();

    @AfterEach
    void close() {
        receiver.close();
    }

    private SpanPipeline pipeline(int maxBatch, int maxPending) {
        return new SpanPipeline(OtlpGrpcSpanExporter.builder().setEndpoint(receiver.grpcEndpoint()).build(),
                Resource.getDefault(), SpanRecords.NAMES, telemetry, 1024, maxBatch, Duration.ofMillis(50), maxPending, Duration.ofSeconds(10));
    }

    private static Map<String, Object> attrs(List<KeyValue> kvs) {
        Map<String, Object> m = new HashMap<>();
        for (KeyValue kv : kvs) {
            var v = kv.getValue();
            m.put(kv.getKey(), v.hasIntValue() ? (Object) v.getIntValue() : v.hasDoubleValue() ? (Object) v.getDoubleValue()
                    : v.hasBoolValue() ? (Object) v.getBoolValue() : v.getStringValue());
        }
        return m;
    }

    @Test
    void nested_calls_become_parent_and_child_with_attributes_and_the_exception() {
        try (SpanPipeline p = pipeline(512, 4)) {
            // The child exits first, so its record comes first.
            p.publish(SpanRecords.record(7, 1_000_500, 300, 2, 1, 1, "com.shop.Repo", "save",
                    "java.lang.IllegalStateException"));
            p.publish(SpanRecords.record(7, 1_000_000, 2_000, 1, 0, 1, "com.shop.OrderService", "place", "",
                    42L, 2.5, true));
        }
        assertEquals(0, telemetry.droppedTotal(SondeTelemetry.EXPORT_FAILED), "records that do not decode");
        List<Span> spans = receiver.awaitSpans(2, Duration.ofSeconds(10));
        Span child = spans.get(0);
        Span parent = spans.get(1);
        assertEquals("OrderService.place", parent.getName());
        assertEquals("Repo.save", child.getName());
        assertEquals(parent.getTraceId(), child.getTraceId());
        assertEquals(parent.getSpanId(), child.getParentSpanId());
        assertTrue(parent.getParentSpanId().isEmpty(), "a root has no parent");
        assertEquals(1_000_000, parent.getStartTimeUnixNano());
        assertEquals(1_002_000, parent.getEndTimeUnixNano());
        assertEquals(Span.SpanKind.SPAN_KIND_INTERNAL, parent.getKind());
        assertEquals(Map.of("code.namespace", "com.shop.OrderService", "code.function", "place", "thread.id", 7L,
                "arg0", 42L, "arg1", 2.5, "arg2", true), attrs(parent.getAttributesList()));
        assertEquals(Status.StatusCode.STATUS_CODE_UNSET, parent.getStatus().getCode());

        assertEquals(Status.StatusCode.STATUS_CODE_ERROR, child.getStatus().getCode());
        assertEquals("java.lang.IllegalStateException", child.getStatus().getMessage());
        assertEquals(1, child.getEventsCount());
        assertEquals("exception", child.getEvents(0).getName());
        assertEquals(1_000_800, child.getEvents(0).getTimeUnixNano());
        assertEquals(Map.of("exception.type", "java.lang.IllegalStateException"),
                attrs(child.getEvents(0).getAttributesList()));
        ResourceSpans rs = receiver.traceRequests().get(0).getResourceSpans(0);
        assertEquals("dev.sonde.span", rs.getScopeSpans(0).getScope().getName());
    }

    @Test
    void a_call_tree_exported_children_first_links_every_span_to_its_parent() {
        try (SpanPipeline p = pipeline(512, 4)) {
            // root(1) -> handle(2) -> load(3), load(4); then another root(5) on the same thread. Exit order.
            p.publish(SpanRecords.record(9, 130, 10, 3, 2, 1, "T", "load", ""));
            p.publish(SpanRecords.record(9, 150, 10, 4, 2, 1, "T", "load", ""));
            p.publish(SpanRecords.record(9, 120, 50, 2, 1, 1, "T", "handle", ""));
            p.publish(SpanRecords.record(9, 100, 80, 1, 0, 1, "T", "root", ""));
            p.publish(SpanRecords.record(9, 200, 10, 5, 0, 5, "T", "root", ""));
        }
        Map<Long, Span> byStart = new HashMap<>();
        receiver.awaitSpans(5, Duration.ofSeconds(10)).forEach(s -> byStart.put(s.getStartTimeUnixNano(), s));
        Span load1 = byStart.get(130L), load2 = byStart.get(150L), handle = byStart.get(120L), root = byStart.get(100L);
        assertEquals(handle.getSpanId(), load1.getParentSpanId());
        assertEquals(handle.getSpanId(), load2.getParentSpanId());
        assertEquals(root.getSpanId(), handle.getParentSpanId());
        assertTrue(root.getParentSpanId().isEmpty());
        assertEquals(4, Set.of(load1.getSpanId(), load2.getSpanId(), handle.getSpanId(), root.getSpanId()).size());
        for (Span s : List.of(load1, load2, handle)) {
            assertEquals(root.getTraceId(), s.getTraceId());
        }
        Span next = byStart.get(200L);
        assertTrue(!next.getTraceId().equals(root.getTraceId()), "a new root starts a new trace");
    }

    @Test
    void many_trees_on_one_thread_keep_every_span_id_distinct_and_every_child_under_its_own_parent() {
        // Far more parents than the decoder keeps parent ids for, so its slots collide and evict; each root has
        // three children, exported before it, whose own ids are looked up while the root's id is kept.
        int trees = 1_000;
        try (SpanPipeline p = pipeline(512, 32)) {
            for (int t = 0; t < trees; t++) {
                long root = 4L * t + 1;
                for (int c = 1; c <= 3; c++) {
                    p.publish(SpanRecords.record(3, 10 * root + c, 1, root + c, root, root, "T", "child", ""));
                }
                p.publish(SpanRecords.record(3, 10 * root, 5, root, 0, root, "T", "root", ""));
            }
        }
        Map<Long, Span> byStart = new HashMap<>();
        receiver.awaitSpans(4 * trees, Duration.ofSeconds(20)).forEach(s -> byStart.put(s.getStartTimeUnixNano(), s));
        Set<com.google.protobuf.ByteString> ids = new HashSet<>();
        for (int t = 0; t < trees; t++) {
            long root = 4L * t + 1;
            Span r = byStart.get(10 * root);
            ids.add(r.getSpanId());
            for (int c = 1; c <= 3; c++) {
                Span child = byStart.get(10 * root + c);
                assertEquals(r.getSpanId(), child.getParentSpanId());
                assertEquals(r.getTraceId(), child.getTraceId());
                ids.add(child.getSpanId());
            }
        }
        assertEquals(4 * trees, ids.size(), "distinct span ids");
    }

    @Test
    void a_record_that_does_not_decode_is_counted_and_the_next_one_still_goes_out() {
        try (SpanPipeline p = pipeline(512, 4)) {
            ByteBuffer good = SpanRecords.record(1, 10, 5, 1, 0, 1, "C", "ok", "");
            ByteBuffer cut = SpanRecords.record(1, 10, 5, 2, 0, 2, "C", "cut", "");
            cut.limit(cut.limit() - 3);
            p.publish(cut);
            p.publish(good);
        }
        assertEquals("C.ok", receiver.awaitSpans(1, Duration.ofSeconds(10)).get(0).getName());
        assertEquals(1, receiver.spans().size());
        assertEquals(1, telemetry.droppedTotal(SondeTelemetry.EXPORT_FAILED));
    }

    @Test
    void every_record_arrives_once_in_bounded_batches_with_distinct_ids() {
        int n = 10_000;
        try (SpanPipeline p = pipeline(500, 64)) {
            for (int i = 1; i <= n; i++) {
                p.publish(SpanRecords.record(i % 4, i, 1, i, 0, i, "C", "m", ""));
            }
        }
        List<Span> spans = receiver.awaitSpans(n, Duration.ofSeconds(20));
        assertEquals(n, spans.size());
        Set<com.google.protobuf.ByteString> ids = new HashSet<>();
        for (Span s : spans) {
            ids.add(s.getTraceId().concat(s.getSpanId()));
        }
        assertEquals(n, ids.size());
        receiver.traceRequests().forEach(r -> assertTrue(r.getResourceSpans(0).getScopeSpans(0).getSpansCount() <= 500));
        assertEquals(0, telemetry.droppedTotal(SondeTelemetry.BATCH_DROPPED));
    }

    @Test
    void reused_span_objects_carry_each_record_s_own_name_attributes_status_and_parent() throws Exception {
        int n = 2_000;
        try (SpanPipeline p = pipeline(100, 64)) {
            for (int i = 1; i <= n; i++) {
                if (i % 100 == 1 && i > 1) {
                    // Batches of 100, each exported before the next is decoded: the next one refills its spans.
                    p.flush();
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (p.exported() < i - 1 && System.nanoTime() < deadline) {
                        Thread.sleep(1);
                    }
                    assertEquals(i - 1, p.exported());
                }
                if (i % 3 == 0) {
                    p.publish(SpanRecords.record(1, i, 1, i, 0, i, "com.shop.C", "three", "", (long) i, 0.5, true));
                } else if (i % 3 == 1) {
                    p.publish(SpanRecords.record(1, i, 1, i, 0, i, "com.shop.C", "one", "", (long) i));
                } else {
                    // A child of the record before it, which threw.
                    p.publish(SpanRecords.record(1, i, 1, i, i - 1, i - 1, "com.shop.C", "none",
                            "java.lang.IllegalStateException"));
                }
            }
        }
        Map<Long, Span> byStart = new HashMap<>();
        receiver.awaitSpans(n, Duration.ofSeconds(20)).forEach(s -> byStart.put(s.getStartTimeUnixNano(), s));
        assertEquals(n, byStart.size());
        for (long i = 1; i <= n; i++) {
            Span s = byStart.get(i);
            Map<String, Object> a = attrs(s.getAttributesList());
            assertEquals(a.size(), s.getAttributesCount(), "each attribute once");
            if (i % 3 == 0) {
                assertEquals("C.three", s.getName());
                assertEquals(Map.of("code.namespace", "com.shop.C", "code.function", "three", "thread.id", 1L,
                        "arg0", i, "arg1", 0.5, "arg2", true), a);
            } else if (i % 3 == 1) {
                assertEquals("C.one", s.getName());
                assertEquals(Map.of("code.namespace", "com.shop.C", "code.function", "one", "thread.id", 1L,
                        "arg0", i), a);
            } else {
                assertEquals("C.none", s.getName());
                assertEquals(Map.of("code.namespace", "com.shop.C", "code.function", "none", "thread.id", 1L), a);
                assertEquals(Status.StatusCode.STATUS_CODE_ERROR, s.getStatus().getCode());
                assertEquals(1, s.getEventsCount());
                Span parent = byStart.get(i - 1);
                assertEquals(parent.getSpanId(), s.getParentSpanId());
                assertEquals(parent.getTraceId(), s.getTraceId());
                continue;
            }
            assertEquals(Status.StatusCode.STATUS_CODE_UNSET, s.getStatus().getCode());
            assertEquals(0, s.getEventsCount());
            assertTrue(s.getParentSpanId().isEmpty());
        }
        assertEquals(0, telemetry.droppedTotal(SondeTelemetry.EXPORT_FAILED));
        assertEquals(0, telemetry.droppedTotal(SondeTelemetry.BATCH_DROPPED));
    }

    @Test
    void a_stalled_backend_drops_the_oldest_batches_and_counts_every_record() throws Exception {
        receiver.mode(OtlpReceiver.Mode.STALL);
        int n = 5_000;
        SpanPipeline p = pipeline(100, 3);
        try {
            for (int i = 1; i <= n; i++) {
                p.publish(SpanRecords.record(1, i, 1, i, 0, i, "C", "m", ""));
            }
            // Until at most 500 records are left undropped: one batch in flight, three pending and the open one.
            // Waiting for that (not just for some drops) bounds what can get out once the stall ends, whether or
            // not the stage has taken in every record by then.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (telemetry.droppedTotal(SondeTelemetry.BATCH_DROPPED) < n - 500 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(receiver.spans().isEmpty(), "nothing got through the stall");
            receiver.mode(OtlpReceiver.Mode.ACCEPT);
        } finally {
            p.close();
        }
        long dropped = telemetry.droppedTotal(SondeTelemetry.BATCH_DROPPED);
        assertTrue(dropped >= n - 500, "dropped " + dropped);
        assertEquals(0, telemetry.droppedTotal(SondeTelemetry.EXPORT_FAILED));
        // Every record is accounted for: exported, or dropped while the backend stalled; no more than the batch in
        // flight, the three pending and the open one survive the stall (batches may close short of 100).
        assertEquals(n, p.exported() + dropped);
        assertEquals(p.exported(), receiver.spans().size());
        assertTrue(p.exported() <= 500, "exported " + p.exported());
        // The newest records survive: the last one published is among those exported.
        Set<Long> starts = new HashSet<>();
        receiver.spans().forEach(s -> starts.add(s.getStartTimeUnixNano()));
        assertTrue(starts.contains((long) n));
    }
}
