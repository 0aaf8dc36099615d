package dev.sonde.probes.structops;

import static org.junit.jupiter.api.Assertions.*;

import dev.sonde.maps.Errno;
import dev.sonde.maps.Maps;
import dev.sonde.maps.SondeException;
import dev.sonde.maps.StructOpsLayout;
import dev.sonde.maps.StructOpsMap;
import dev.sonde.maps.StructOpsType;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The {@code pacing_ops} subsystem the span exporter consults: AIMD by default, replaced and restored by maps. */
class PacingPolicyTest {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final long MS = 1_000_000L;

    private static StructOpsMap policyMap() {
        return (StructOpsMap) Maps.create(PacingPolicy.mapSpec("pacing_" + SEQ.incrementAndGet()).build());
    }

    /** Batches 32..512 (step 32), delay 200 ms..5 s, target 100 ms. */
    private static PacingCtx ctx() {
        return new PacingCtx(32, 512, 200 * MS, 5_000 * MS, 100 * MS);
    }

    @AfterEach
    void unregisterLeftovers() {
        StructOpsMap r = PacingPolicy.TYPE.registered();
        if (r != null) {
            r.detach(); // a failed test must not leave the next one an -EBUSY
        }
    }

    @Test
    void aimdStartsAtTheLargestBatchAndShortestDelay() {
        assertSame(PacingPolicy.TYPE, StructOpsType.byName("pacing_ops"));
        assertNull(PacingPolicy.TYPE.registered());
        PacingCtx c = ctx();
        assertEquals(512, PacingPolicy.batchSize(c));
        assertEquals(200 * MS, PacingPolicy.delayNanos(c));
        assertEquals(32, c.batchStep);
    }

    @Test
    void aimdHalvesOnFailureAndOnSlowExportsThenGrowsAdditivelyWithinBounds() {
        PacingCtx c = ctx();
        PacingPolicy.onExport(c, 5 * MS, false, 512);
        assertEquals(256, PacingPolicy.batchSize(c), "a failure halves the batch");
        assertEquals(400 * MS, PacingPolicy.delayNanos(c), "and doubles the delay");
        PacingPolicy.onExport(c, 150 * MS, true, 256);
        assertEquals(128, PacingPolicy.batchSize(c), "a success slower than the target counts as congestion");
        assertEquals(800 * MS, PacingPolicy.delayNanos(c));
        for (int i = 0; i < 20; i++) {
            PacingPolicy.onExport(c, 1 * MS, false, 32);
        }
        assertEquals(32, PacingPolicy.batchSize(c), "never below the smallest batch");
        assertEquals(5_000 * MS, PacingPolicy.delayNanos(c), "never above the longest delay");

        PacingPolicy.onExport(c, 1 * MS, true, 32);
        assertEquals(64, PacingPolicy.batchSize(c), "a fast success adds one step");
        assertEquals(2_500 * MS, PacingPolicy.delayNanos(c), "and halves the delay");
        PacingPolicy.onExport(c, 100 * MS, true, 64);
        assertEquals(96, PacingPolicy.batchSize(c), "exactly the target is still fast");
        for (int i = 0; i < 3; i++) {
            PacingPolicy.onExport(c, 1 * MS, true, 96);
        }
        assertEquals(192, PacingPolicy.batchSize(c), "additive: 3 more steps of 32");
        assertEquals(200 * MS, PacingPolicy.delayNanos(c), "the delay is back at its floor");
        for (int i = 0; i < 100; i++) {
            PacingPolicy.onExport(c, 1 * MS, true, 512);
        }
        assertEquals(512, PacingPolicy.batchSize(c), "never above the largest batch");
        assertEquals(0, c.errors);
    }

    @Test
    void aRegisteredPolicyDecidesUntilDeletedAndAimdRestartsAfterwards() {
        PacingCtx c = ctx();
        PacingPolicy.onExport(c, 1 * MS, false, 512);
        assertEquals(256, PacingPolicy.batchSize(c));
        AtomicInteger heard = new AtomicInteger();
        try (StructOpsMap m = policyMap()) {
            m.setCallback(PacingOps.ON_EXPORT, (PacingOps.OnExport) (ctx, lat, ok, n) -> {
                heard.incrementAndGet();
                ctx.priv[0] += n;
            }, 301).setCallback(PacingOps.BATCH_SIZE, (PacingOps.BatchSize) ctx -> ctx.priv[1] == 7 ? 40 : 0, 302)
                    .setCallback(PacingOps.DELAY_NANOS, (PacingOps.DelayNanos) ctx -> 1, 303)
                    .setCallback(PacingOps.INIT, (PacingOps.Init) ctx -> ctx.priv[1] = 7, 304);
            assertEquals(0, m.attach());
            assertEquals(StructOpsLayout.STATE_INUSE, m.state());
            assertEquals(40, PacingPolicy.batchSize(c), "init ran on the swap, before the first answer");
            assertEquals(200 * MS, PacingPolicy.delayNanos(c), "answers are clamped to the bounds");
            PacingPolicy.onExport(c, 1 * MS, false, 40);
            PacingPolicy.onExport(c, 1 * MS, true, 40);
            assertEquals(2, heard.get());
            assertEquals(80, c.priv[0], "the policy keeps its state in the context");
            assertEquals(40, PacingPolicy.batchSize(c), "AIMD no longer steers");
            assertEquals(0, m.detach());
        }
        assertEquals(512, PacingPolicy.batchSize(c), "AIMD again, from a fresh start");
        assertEquals(0, c.priv[0], "the departed policy's words are cleared");
        PacingPolicy.onExport(c, 1 * MS, true, 512);
        assertEquals(2, heard.get(), "the deleted policy hears nothing more");
    }

    @Test
    void aPolicyMissingAMandatoryCallbackIsRefused() {
        try (StructOpsMap m = policyMap()) {
            m.setCallback(PacingOps.BATCH_SIZE, (PacingOps.BatchSize) ctx -> 64, 401)
                    .setCallback(PacingOps.DELAY_NANOS, (PacingOps.DelayNanos) ctx -> 0, 402);
            assertEquals(-Errno.EINVAL, m.attach(), "on_export is mandatory");
            assertEquals(StructOpsLayout.STATE_INIT, m.state());
            assertNull(PacingPolicy.TYPE.registered());
            assertEquals(512, PacingPolicy.batchSize(ctx()), "AIMD still runs");
        }
    }

    @Test
    void aThrowingPolicyIsCountedAndAnsweredByAimd() {
        PacingCtx c = ctx();
        try (StructOpsMap m = policyMap()) {
            m.setCallback(PacingOps.ON_EXPORT, (PacingOps.OnExport) (ctx, lat, ok, n) -> {
                throw new IllegalStateException("on_export");
            }, 501).setCallback(PacingOps.BATCH_SIZE, (PacingOps.BatchSize) ctx -> {
                throw new IllegalStateException("batch_size");
            }, 502).setCallback(PacingOps.DELAY_NANOS, (PacingOps.DelayNanos) ctx -> 300 * MS, 503);
            assertEquals(0, m.attach());
            assertEquals(512, PacingPolicy.batchSize(c));
            PacingPolicy.onExport(c, 1 * MS, true, 512);
            assertEquals(300 * MS, PacingPolicy.delayNanos(c));
            assertEquals(2, c.errors);
            assertEquals(0, m.detach());
        }
    }

    @Test
    void badBoundsAreRefusedWithTheFix() {
        SondeException e = assertThrows(SondeException.class, () -> new PacingCtx(0, 10, 0, 1, 1));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("sonde.spans.minBatchSize"), e.getMessage());
        assertThrows(SondeException.class, () -> new PacingCtx(20, 10, 0, 1, 1));
        e = assertThrows(SondeException.class, () -> new PacingCtx(1, 10, 5, 1, 1));
        assertTrue(e.getMessage().contains("sonde.spans.maxBackoff"), e.getMessage());
        assertThrows(SondeException.class, () -> new PacingCtx(1, 10, 0, 1, 0));
    }
}
