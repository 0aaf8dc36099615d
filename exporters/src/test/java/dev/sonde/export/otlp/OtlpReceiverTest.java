package dev.sonde.export.otlp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The receiver against the SDK's real OTLP exporters, over both protocols, accepting and refusing. */
class OtlpReceiverTest {
    private final OtlpReceiver receiver = OtlpReceiver.start();

    @AfterEach
    void stop() {
        receiver.close();
    }

    private void exportOneSpan(SpanExporter exporter, String name) {
        try (SdkTracerProvider tp = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()) {
            Span s = tp.get("test").spanBuilder(name).setAttribute("k", 7L).startSpan();
            s.end();
            tp.forceFlush().join(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void http_protobuf_span_arrives_decoded() {
        exportOneSpan(OtlpHttpSpanExporter.builder().setEndpoint(receiver.httpEndpoint() + "/v1/traces").build(), "h");
        List<io.opentelemetry.proto.trace.v1.Span> spans = receiver.awaitSpans(1, Duration.ofSeconds(10));
        assertEquals("h", spans.get(0).getName());
        assertEquals("k", spans.get(0).getAttributes(0).getKey());
        assertEquals(7L, spans.get(0).getAttributes(0).getValue().getIntValue());
    }

    @Test
    void grpc_span_arrives_decoded() {
        exportOneSpan(OtlpGrpcSpanExporter.builder().setEndpoint(receiver.grpcEndpoint()).build(), "g");
        assertEquals("g", receiver.awaitSpans(1, Duration.ofSeconds(10)).get(0).getName());
    }

    @Test
    void unavailable_refuses_the_export_over_both_protocols() {
        receiver.mode(OtlpReceiver.Mode.UNAVAILABLE);
        exportOneSpan(OtlpHttpSpanExporter.builder().setEndpoint(receiver.httpEndpoint() + "/v1/traces")
                .setRetryPolicy(null).build(), "h");
        exportOneSpan(OtlpGrpcSpanExporter.builder().setEndpoint(receiver.grpcEndpoint()).setRetryPolicy(null).build(), "g");
        assertEquals(2, receiver.attempts());
        assertEquals(2, receiver.refused());
        assertTrue(receiver.spans().isEmpty());
    }

    @Test
    void the_default_retry_policy_gets_through_once_the_receiver_recovers() throws Exception {
        receiver.mode(OtlpReceiver.Mode.STALL);
        SpanExporter grpc = OtlpGrpcSpanExporter.builder().setEndpoint(receiver.grpcEndpoint()).build();
        try (SdkTracerProvider tp = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(grpc)).build()) {
            tp.get("test").spanBuilder("retried").startSpan().end();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (receiver.attempts() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(receiver.spans().isEmpty(), "a stalled receiver holds the export");
            receiver.mode(OtlpReceiver.Mode.UNAVAILABLE); // the stalled call now fails with UNAVAILABLE: retryable
            while (receiver.refused() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            receiver.mode(OtlpReceiver.Mode.ACCEPT);
            assertEquals("retried", receiver.awaitSpans(1, Duration.ofSeconds(20)).get(0).getName());
            assertTrue(receiver.refused() >= 1);
            assertEquals(receiver.refused() + 1, receiver.attempts());
        }
    }
}
