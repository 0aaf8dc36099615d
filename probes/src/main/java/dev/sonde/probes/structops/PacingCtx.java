package dev.sonde.probes.structops;

import dev.sonde.maps.Errno;
import dev.sonde.maps.SondeException;

/**
 * One export stage's pacing state, handed to every {@link PacingOps} callback as the kernel hands a
 * {@code struct sock} to {@code tcp_congestion_ops}: the bounds from Sonde's settings (read-only), the two values
 * the default policy steers ({@link #batchSize}, {@link #delayNanos}), and {@link #priv} words any policy may
 * keep its own state in ({@code icsk_ca_priv}). Only the stage's thread touches it, so the fields are plain.
 */
public final class PacingCtx {
    /** Words in {@link #priv}. */
    public static final int PRIV_WORDS = 8;

    public final int minBatch;
    public final int maxBatch;
    /** The default policy's additive step: a sixteenth of the largest batch, at least 1. */
    public final int batchStep;
    public final long minDelayNanos;
    public final long maxDelayNanos;
    /** An export slower than this counts as congestion for the default policy. */
    public final long targetLatencyNanos;
    /** The batch size the default policy keeps (its congestion window). */
    public int batchSize;
    /** The delay the default policy keeps (its back-off). */
    public long delayNanos;
    /** A policy's own words; zeroed when a policy takes the stage over. */
    public final long[] priv = new long[PRIV_WORDS];
    /** Callbacks that threw; the stage then used the default policy's answer. */
    public long errors;
    /** The struct this context was last initialised for ({@link PacingPolicy} compares identities). */
    Object ops;

    /**
     * @param minBatch      the smallest batch a policy may ask for, at least 1
     * @param maxBatch      the largest, at least {@code minBatch}
     * @param minDelayNanos the shortest delay, at least 0
     * @param maxDelayNanos the longest, at least {@code minDelayNanos}
     * @param targetLatencyNanos exports slower than this make the default policy back off; positive
     */
    public PacingCtx(int minBatch, int maxBatch, long minDelayNanos, long maxDelayNanos, long targetLatencyNanos) {
        if (minBatch < 1 || maxBatch < minBatch) {
            throw new SondeException(Errno.EINVAL, "pacing batch bounds [" + minBatch + ", " + maxBatch
                    + "] are invalid; need 1 <= sonde.spans.minBatchSize <= sonde.spans.batchSize");
        }
        if (minDelayNanos < 0 || maxDelayNanos < minDelayNanos) {
            throw new SondeException(Errno.EINVAL, "pacing delay bounds [" + minDelayNanos + "ns, " + maxDelayNanos
                    + "ns] are invalid; need 0 <= sonde.spans.maxDelay <= sonde.spans.maxBackoff");
        }
        if (targetLatencyNanos <= 0) {
            throw new SondeException(Errno.EINVAL, "pacing target latency " + targetLatencyNanos
                    + "ns must be positive; set sonde.spans.targetLatency to e.g. 1s");
        }
        this.minBatch = minBatch;
        this.maxBatch = maxBatch;
        this.batchStep = Math.max(1, maxBatch / 16);
        this.minDelayNanos = minDelayNanos;
        this.maxDelayNanos = maxDelayNanos;
        this.targetLatencyNanos = targetLatencyNanos;
        this.batchSize = maxBatch;
        this.delayNanos = minDelayNanos;
    }

    @Override
    public String toString() {
        return "PacingCtx[batch " + batchSize + " in [" + minBatch + ", " + maxBatch + "], delay " + delayNanos
                + "ns in [" + minDelayNanos + ", " + maxDelayNanos + "], target " + targetLatencyNanos + "ns]";
    }
}
