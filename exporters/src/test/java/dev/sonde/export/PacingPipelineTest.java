package dev.sonde.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.export.otlp.OtlpReceiver;
import dev.sonde.maps.Maps;
import dev.sonde.maps.StructOpsMap;
import dev.sonde.probes.structops.PacingCtx;
import dev.sonde.probes.structops.PacingOps;
import dev.sonde.probes.structops.PacingPolicy;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.sdk.resources.Resource;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The span exporter's batches follow the {@code pacing_ops} policy: AIMD by default, a policy registered while
 * spans flow from its next batch on, AIMD again once the policy's map is deleted; and AIMD backs off from a
 * refusing backend.
 */
class PacingPipelineTest {
    private static final long MS = 1_000_000L;
    private final OtlpReceiver receiver = OtlpReceiver.start();
    private final SondeTelemetry telemetry = new SondeTelemetry();

    @AfterEach
    void close() {
        StructOpsMap r = PacingPolicy.TYPE.registered();
        if (r != null) {
            r.detach();
        }
        receiver.close();
    }

    private SpanPipeline pipeline(PacingCtx pacing, int maxPending) {
        return new SpanPipeline(OtlpGrpcSpanExporter.builder().setEndpoint(receiver.grpcEndpoint()).build(),
                Resource.getDefault(), SpanRecords.NAMES, telemetry, 4096, pacing, maxPending, Duration.ofSeconds(10));
    }

    private static int size(ExportTraceServiceRequest r) {
        return r.getResourceSpans(0).getScopeSpans(0).getSpansCount();
    }

    private static void await(BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + 20_000 * MS;
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            LockSupport.parkNanos(2 * MS);
        }
    }

    /** Publishes spans from one thread (the pipeline's single producer), 20 every millisecond, until stopped. */
    private static final class Feeder extends Thread {
        private final SpanPipeline p;
        private volatile boolean stop;
        long published;

        Feeder(SpanPipeline p) {
            this.p = p;
        }

        @Override
        public void run() {
            while (!stop) {
                for (int i = 0; i < 20; i++) {
                    published++;
                    p.publish(SpanRecords.record(1, published, 1, published, 0, published, "C", "paced", ""));
                }
                p.flush(); // as the ring drainer does after each pass: the copies reach the export stage
                LockSupport.parkNanos(1_000_000L);
            }
        }

        void finish() throws InterruptedException {
            stop = true;
            join();
        }
    }

    @Test
    void a_policy_registered_while_spans_flow_sets_the_batches_and_deleting_it_restores_aimd() throws Exception {
        int maxPending = 16;
        SpanPipeline p = pipeline(new PacingCtx(4, 200, 20 * MS, 1_000 * MS, 1_000 * MS), maxPending);
        Feeder feeder = new Feeder(p);
        AtomicInteger heard = new AtomicInteger();
        try {
            feeder.start();
            await(() -> receiver.traceRequests().stream().anyMatch(r -> size(r) > 16), "AIMD's large batches");

            StructOpsMap m = (StructOpsMap) Maps.create(PacingPolicy.mapSpec("fixed_16").build());
            m.setCallback(PacingOps.ON_EXPORT, (PacingOps.OnExport) (ctx, lat, ok, n) -> heard.incrementAndGet(), 11)
                    .setCallback(PacingOps.BATCH_SIZE, (PacingOps.BatchSize) ctx -> 16, 12)
                    .setCallback(PacingOps.DELAY_NANOS, (PacingOps.DelayNanos) ctx -> 20 * MS, 13);
            assertEquals(0, m.attach());
            // Batches opened before the swap (the in-flight one, those pending, the open one) go out as they were;
            // once the policy has heard that many exports, every later request is one of its batches.
            await(() -> heard.get() >= maxPending + 2, "the policy to hear the older batches");
            int from = receiver.traceRequests().size();
            await(() -> receiver.traceRequests().size() >= from + 20, "20 batches under the policy");
            List<ExportTraceServiceRequest> under = receiver.traceRequests().subList(from, from + 20);
            assertTrue(under.stream().allMatch(r -> size(r) <= 16), "every batch within the policy's 16");
            assertTrue(under.stream().anyMatch(r -> size(r) == 16), "and full ones at this rate");

            assertEquals(0, m.detach());
            m.close();
            int heardAtDelete = heard.get();
            int after = receiver.traceRequests().size();
            await(() -> receiver.traceRequests().stream().skip(after).anyMatch(r -> size(r) > 16), "AIMD's batches again");
            assertEquals(heardAtDelete, heard.get(), "the deleted policy hears nothing more");
        } finally {
            feeder.finish();
            p.close();
        }
        // Every span published is accounted for (batches of 16 may outrun the backend and overflow the queue).
        assertEquals(feeder.published, p.exported() + telemetry.droppedTotal(SondeTelemetry.BATCH_DROPPED)
                + telemetry.droppedTotal(SondeTelemetry.EXPORT_FAILED));
        assertEquals(p.exported(), receiver.spans().size());
    }

    @Test
    void aimd_backs_off_from_a_refusing_backend_and_a_flush_still_settles_every_span() throws Exception {
        receiver.mode(OtlpReceiver.Mode.UNAVAILABLE);
        // No SDK retries here: each refusal is one failed export, so the attempts show the stage's own back-off.
        SpanPipeline p = new SpanPipeline(OtlpGrpcSpanExporter.builder().setEndpoint(receiver.grpcEndpoint())
                .setRetryPolicy(null).build(), Resource.getDefault(), SpanRecords.NAMES, telemetry, 4096,
                new PacingCtx(4, 64, 10 * MS, 400 * MS, 1_000 * MS), 2, Duration.ofSeconds(10));
        Feeder feeder = new Feeder(p);
        try {
            feeder.start();
            Thread.sleep(2_000);
            // Without back-off a batch every 10 ms or less: 200+. With AIMD doubling 10 ms up to 400 ms the
            // pauses are 20, 40, ..., 400, 400, ...: about 9 attempts in 2 s. Generous: fewer than 30.
            int attempts = receiver.attempts();
            System.out.println("pacing: " + attempts + " export attempts in 2 s of refusals");
            assertTrue(attempts >= 2 && attempts < 30, "attempts in 2 s of refusals: " + attempts);
            receiver.mode(OtlpReceiver.Mode.ACCEPT);
            int before = receiver.spans().size();
            await(() -> receiver.spans().size() > before, "export to resume");
            feeder.finish();
            assertTrue(p.flush(System.nanoTime() + 10_000 * MS), "flush settles every published span");
            long dropped = telemetry.droppedTotal(SondeTelemetry.BATCH_DROPPED)
                    + telemetry.droppedTotal(SondeTelemetry.EXPORT_FAILED);
            assertTrue(dropped > 0);
            assertEquals(feeder.published, p.exported() + dropped, "exported + dropped = published, before close");
            assertEquals(p.exported(), receiver.spans().size());
        } finally {
            feeder.finish();
            p.close();
        }
    }
}
