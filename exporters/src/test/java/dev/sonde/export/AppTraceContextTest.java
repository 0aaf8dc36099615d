package dev.sonde.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import dev.sonde.probes.AppTraceContext;
import dev.sonde.probes.AttachPoint;
import dev.sonde.probes.Program;
import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.builtin.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code span} program inside the application's own OpenTelemetry span, in one JVM: this test's (unrelocated)
 * OpenTelemetry API plays the application's, reported as the agent's class-load watch would. The records' decoded
 * spans carry the app's trace id, the root-most call hangs under the app's span and its child under it; outside any
 * app span, Sonde's own ids stay; and reading the app's context allocates nothing.
 */
class AppTraceContextTest {
    private static final TargetMethod OUTER = new TargetMethod(9001, "com.example.App", "outer", "()V",
            new String[0], "void");
    private static final TargetMethod INNER = new TargetMethod(9002, "com.example.App", "inner", "()V",
            new String[0], "void");
    private static final SpanNames NAMES = new SpanNames() {
        @Override
        public TargetMethod method(int id) {
            return id == 9001 ? OUTER : id == 9002 ? INNER : null;
        }
    };

    @Test
    void sondeSpansJoinTheApplicationsCurrentSpan() {
        AppTraceContext.offer(AppTraceContext.API_SPAN, io.opentelemetry.api.trace.Span.class.getClassLoader());
        SdkTracerProvider provider = provider();
        Tracer tracer = provider.get("app");
        try (RingBuf ring = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("atc_spans")
                .maxEntries(1 << 16).build());
                Program prog = new Span("atc", ring)) {
            AttachPoint outer = new AttachPoint(OUTER, new Program[0], new Program[] {prog}, new Program[] {prog});
            AttachPoint inner = new AttachPoint(INNER, new Program[0], new Program[] {prog}, new Program[] {prog});

            io.opentelemetry.api.trace.Span request = tracer.spanBuilder("request").startSpan();
            assertTrue(request.getSpanContext().isValid(), "the app's span is a real one");
            try (Scope s = request.makeCurrent()) {
                call(outer, inner);
                call(outer, inner); // the same span context again: the thread's cached words
            } finally {
                request.end();
            }
            call(outer, inner); // no app span current: Sonde's own trace
            assertEquals("application", AppTraceContext.source());

            List<SondeSpanData> spans = decode(ring);
            assertEquals(6, spans.size());
            SondeSpanData in1 = spans.get(0);
            SondeSpanData out1 = spans.get(1);
            SondeSpanData in2 = spans.get(4);
            SondeSpanData out2 = spans.get(5);
            assertEquals(request.getSpanContext().getTraceId(), spans.get(2).getTraceId());
            assertEquals(request.getSpanContext().getSpanId(), spans.get(3).getParentSpanId(), "the second call too");
            assertEquals(spans.get(3).getSpanId(), spans.get(2).getParentSpanId());
            assertNotEquals(out1.getSpanId(), spans.get(3).getSpanId());
            assertEquals("App.inner", in1.getName());
            String appTrace = request.getSpanContext().getTraceId();
            assertEquals(appTrace, out1.getTraceId());
            assertEquals(appTrace, in1.getTraceId());
            assertEquals(request.getSpanContext().getSpanId(), out1.getParentSpanId(), "root-most under the app's span");
            assertEquals(out1.getSpanId(), in1.getParentSpanId(), "nesting kept");

            assertNotEquals(appTrace, out2.getTraceId());
            assertEquals(out2.getTraceId(), in2.getTraceId());
            assertFalse(out2.getParentSpanContext().isValid(), "a root again outside the app's span");
            assertEquals(out2.getSpanId(), in2.getParentSpanId());
        } finally {
            provider.shutdown();
        }
    }

    @Test
    void readingTheApplicationsContextAllocatesNothingPerCall() {
        AppTraceContext.offer(AppTraceContext.API_SPAN, io.opentelemetry.api.trace.Span.class.getClassLoader());
        SdkTracerProvider provider = provider();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (RingBuf ring = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("atc_alloc")
                .maxEntries(1 << 12).build());
                Program prog = new Span("atc_alloc", ring)) {
            // The span program on a root call: a capture, a record, a consume per call.
            AttachPoint p = new AttachPoint(OUTER, new Program[0], new Program[] {prog}, new Program[0]);
            io.opentelemetry.api.trace.Span request = provider.get("app").spanBuilder("request").startSpan();
            assertTrue(request.getSpanContext().isValid(), "the app's span is a real one");
            try (Scope s = request.makeCurrent();
                    RingBufConsumer c = RingBufConsumer.create(ring, r -> 0)) {
                for (int i = 0; i < 200_000; i++) { // warm up: the handles' lambda forms compiled
                    p.exit(p.enter(0, 0, 0, 0, 0, 0), 0, null, 0, 0, 0, 0, 0, 0);
                    c.consume();
                }
                long tid = Thread.currentThread().getId();
                long before = mx.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 10_000; i++) {
                    p.exit(p.enter(0, 0, 0, 0, 0, 0), 0, null, 0, 0, 0, 0, 0, 0);
                    c.consume();
                }
                long after = mx.getThreadAllocatedBytes(tid);
                // Per call, nothing: one allocation per call would be >= 160,000 bytes here. A one-off of a few hundred
                // bytes (the runtime's own, seen once when the whole suite shares the JVM) is not the probe's.
                assertTrue(after - before < 10_000, (after - before) + " bytes allocated by 10,000 calls inside an"
                        + " app span: the capture allocates per call");
            } finally {
                request.end();
            }
        } finally {
            provider.shutdown();
        }
    }

    /** A provider that records spans (one with no processor at all may hand out non-recording, invalid ones). */
    private static SdkTracerProvider provider() {
        return SdkTracerProvider.builder().addSpanProcessor(new io.opentelemetry.sdk.trace.SpanProcessor() {
            @Override
            public void onStart(io.opentelemetry.context.Context parent, io.opentelemetry.sdk.trace.ReadWriteSpan span) {
            }

            @Override
            public boolean isStartRequired() {
                return false;
            }

            @Override
            public void onEnd(io.opentelemetry.sdk.trace.ReadableSpan span) {
            }

            @Override
            public boolean isEndRequired() {
                return true;
            }
        }).build();
    }

    private static void call(AttachPoint outer, AttachPoint inner) {
        long o = outer.enter(0, 0, 0, 0, 0, 0);
        long i = inner.enter(0, 0, 0, 0, 0, 0);
        inner.exit(i, 0, null, 0, 0, 0, 0, 0, 0);
        outer.exit(o, 0, null, 0, 0, 0, 0, 0, 0);
    }

    private static List<SondeSpanData> decode(RingBuf ring) {
        SpanDecoder d = new SpanDecoder(42, NAMES);
        List<SondeSpanData> out = new ArrayList<>();
        try (RingBufConsumer c = RingBufConsumer.create(ring, (ByteBuffer r) -> {
            byte[] rec = new byte[r.remaining()];
            r.duplicate().get(rec);
            SondeSpanData s = new SondeSpanData(Resource.empty());
            d.decode(rec, rec.length, s);
            out.add(s);
            return 0;
        })) {
            c.consume();
        }
        return out;
    }
}
