package dev.sonde.probes.structops;

import dev.sonde.maps.MapSpec;
import dev.sonde.maps.StructOpsType;
import java.util.Arrays;

/**
 * The {@code pacing_ops} subsystem: how big the exporter's batches are and how long they wait, as functions of
 * the backend's latency and failures. With nothing registered it runs {@link AimdPacing}; a {@code STRUCT_OPS} map
 * registers another policy, and deleting the map restores AIMD.
 * <pre>
 *   StructOpsMap m = (StructOpsMap) Maps.create(PacingPolicy.mapSpec("fixed_64").build());
 *   m.setCallback(PacingOps.ON_EXPORT, (PacingOps.OnExport) (ctx, lat, ok, n) -&gt; { }, progId)
 *    .setCallback(PacingOps.BATCH_SIZE, (PacingOps.BatchSize) ctx -&gt; 64, progId)
 *    .setCallback(PacingOps.DELAY_NANOS, (PacingOps.DelayNanos) ctx -&gt; 50_000_000L, progId);
 *   m.attach();   // update(0, value): the span exporter now sends batches of at most 64
 *   m.detach();   // delete(0): back to AIMD
 * </pre>
 * The export stage calls the static methods here, each one read of the registered struct inside a grace-period
 * section, no lock, no allocation. A context first seen by a struct is reset and {@code init}ed for it, so a
 * policy swapped in starts from a clean state and AIMD, restored, starts again from the largest batch. Answers are
 * clamped to the context's bounds, and a callback that throws is counted in {@link PacingCtx#errors} and answered
 * by AIMD for that call: a bad policy cannot stop the exporter.
 */
public final class PacingPolicy {
    public static final String NAME = "pacing_ops";

    public static final StructOpsType<PacingOps> TYPE = StructOpsType.builder(NAME, PacingOps::new)
            .mandatory(PacingOps.ON_EXPORT, PacingOps.OnExport.class, AimdPacing.ON_EXPORT)
            .mandatory(PacingOps.BATCH_SIZE, PacingOps.BatchSize.class, AimdPacing.BATCH_SIZE)
            .mandatory(PacingOps.DELAY_NANOS, PacingOps.DelayNanos.class, AimdPacing.DELAY_NANOS)
            .optional(PacingOps.INIT, PacingOps.Init.class, AimdPacing.INIT)
            .register();

    private PacingPolicy() {
    }

    /** Spans the batch opening now may hold, by the registered policy, within the context's bounds. */
    public static int batchSize(PacingCtx ctx) {
        int t = TYPE.enter();
        try {
            PacingOps ops = current(ctx);
            int n;
            try {
                n = ops.batchSize.batchSize(ctx);
            } catch (RuntimeException e) {
                ctx.errors++;
                n = AimdPacing.BATCH_SIZE.batchSize(ctx);
            }
            return Math.max(ctx.minBatch, Math.min(ctx.maxBatch, n));
        } finally {
            TYPE.exit(t);
        }
    }

    /** How long the batch opening now may wait, or the pause after a failed export, within the context's bounds. */
    public static long delayNanos(PacingCtx ctx) {
        int t = TYPE.enter();
        try {
            PacingOps ops = current(ctx);
            long d;
            try {
                d = ops.delayNanos.delayNanos(ctx);
            } catch (RuntimeException e) {
                ctx.errors++;
                d = AimdPacing.DELAY_NANOS.delayNanos(ctx);
            }
            return Math.max(ctx.minDelayNanos, Math.min(ctx.maxDelayNanos, d));
        } finally {
            TYPE.exit(t);
        }
    }

    /** Tells the registered policy how an export went. */
    public static void onExport(PacingCtx ctx, long latencyNanos, boolean success, int batchSize) {
        int t = TYPE.enter();
        try {
            PacingOps ops = current(ctx);
            try {
                ops.onExport.onExport(ctx, latencyNanos, success, batchSize);
            } catch (RuntimeException e) {
                ctx.errors++;
            }
        } finally {
            TYPE.exit(t);
        }
    }

    /** The struct to run, after re-initialising {@code ctx} if it last served another one. Inside enter/exit. */
    private static PacingOps current(PacingCtx ctx) {
        PacingOps ops = TYPE.current();
        if (ctx.ops != ops) {
            ctx.ops = ops;
            ctx.batchSize = ctx.maxBatch;
            ctx.delayNanos = ctx.minDelayNanos;
            Arrays.fill(ctx.priv, 0);
            try {
                ops.init.init(ctx);
            } catch (RuntimeException e) {
                ctx.errors++;
            }
        }
        return ops;
    }

    /** A spec for a pacing-policy map called {@code name}. */
    public static MapSpec.Builder mapSpec(String name) {
        return TYPE.mapSpec(name);
    }
}
