package dev.sonde.probes.structops;

/**
 * The exporter pacing policy's struct: the callbacks a {@code STRUCT_OPS} map registers into {@link PacingPolicy},
 * one final field per slot, built once per registration. Every callback gets the export stage's
 * {@link PacingCtx}, as {@code tcp_congestion_ops} callbacks get the socket: the policy's state lives there, so
 * one policy serves any number of stages.
 */
public final class PacingOps {
    /** Slot {@code on_export}, mandatory: told how each export went, to adapt. */
    public static final String ON_EXPORT = "on_export";
    /** Slot {@code batch_size}, mandatory: spans per export at most, now. */
    public static final String BATCH_SIZE = "batch_size";
    /** Slot {@code delay_nanos}, mandatory: how long a batch may wait to fill, and the pause after a failure. */
    public static final String DELAY_NANOS = "delay_nanos";
    /** Slot {@code init}, optional: sets up a stage's context when this policy takes it over. */
    public static final String INIT = "init";

    /**
     * Called once per finished export, on the export stage's thread. {@code latencyNanos} runs from the export's
     * start to its result; {@code success} is false for a refused, failed or timed-out export.
     */
    @FunctionalInterface
    public interface OnExport {
        void onExport(PacingCtx ctx, long latencyNanos, boolean success, int batchSize);
    }

    /** Asked when a batch opens; the answer is clamped to {@code [ctx.minBatch, ctx.maxBatch]}. */
    @FunctionalInterface
    public interface BatchSize {
        int batchSize(PacingCtx ctx);
    }

    /**
     * Asked when a batch opens (how long it may wait to fill) and after a failed export (how long to wait before
     * the next); clamped to {@code [ctx.minDelayNanos, ctx.maxDelayNanos]}.
     */
    @FunctionalInterface
    public interface DelayNanos {
        long delayNanos(PacingCtx ctx);
    }

    /**
     * Called before the first other callback on a stage, and again whenever the registered policy changes (as
     * {@code tcp_reinit_congestion_control}); the context's {@code batchSize}, {@code delayNanos} and {@code priv}
     * were reset to the largest batch, the shortest delay and zeros just before.
     */
    @FunctionalInterface
    public interface Init {
        void init(PacingCtx ctx);
    }

    public final OnExport onExport;
    public final BatchSize batchSize;
    public final DelayNanos delayNanos;
    public final Init init;

    /** From one callback per slot, in slot order ({@code on_export}, {@code batch_size}, {@code delay_nanos}, {@code init}). */
    PacingOps(Object[] callbacks) {
        this.onExport = (OnExport) callbacks[0];
        this.batchSize = (BatchSize) callbacks[1];
        this.delayNanos = (DelayNanos) callbacks[2];
        this.init = (Init) callbacks[3];
    }
}
