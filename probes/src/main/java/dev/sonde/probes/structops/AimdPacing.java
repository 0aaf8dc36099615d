package dev.sonde.probes.structops;

/**
 * The default pacing policy, additive increase / multiplicative decrease as TCP's congestion avoidance: each
 * export that succeeds within {@link PacingCtx#targetLatencyNanos} grows the batch by {@link PacingCtx#batchStep}
 * and halves the delay; each failed or slow one halves the batch and doubles the delay (an exponential back-off,
 * as TCP's retransmission timer). All within the context's bounds. It starts at the largest batch and the shortest
 * delay, so a healthy backend sees the configured batch size and delay.
 */
public final class AimdPacing {
    public static final PacingOps.Init INIT = ctx -> {
        ctx.batchSize = ctx.maxBatch;
        ctx.delayNanos = ctx.minDelayNanos;
    };

    public static final PacingOps.OnExport ON_EXPORT = (ctx, latencyNanos, success, batchSize) -> {
        if (success && latencyNanos <= ctx.targetLatencyNanos) {
            ctx.batchSize = (int) Math.min(ctx.maxBatch, (long) ctx.batchSize + ctx.batchStep);
            ctx.delayNanos = Math.max(ctx.minDelayNanos, ctx.delayNanos / 2);
        } else {
            ctx.batchSize = Math.max(ctx.minBatch, ctx.batchSize / 2);
            // At least 1 ns to double from, so a zero shortest delay still backs off.
            ctx.delayNanos = Math.min(ctx.maxDelayNanos, Math.max(1, ctx.delayNanos) * 2);
        }
    };

    public static final PacingOps.BatchSize BATCH_SIZE = ctx -> ctx.batchSize;

    public static final PacingOps.DelayNanos DELAY_NANOS = ctx -> ctx.delayNanos;

    private AimdPacing() {
    }
}
