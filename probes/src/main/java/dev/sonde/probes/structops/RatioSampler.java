package dev.sonde.probes.structops;

import dev.sonde.maps.Errno;
import dev.sonde.maps.SondeException;

/**
 * A {@code should_sample} that records a fixed share of spans, chosen by a hash of method, thread and start
 * time: stateless, so callers on many threads never contend, and allocation-free.
 */
public final class RatioSampler implements SamplingOps.ShouldSample {
    private final long threshold;

    /** @param ratio the share of spans to record, from 0 (none) to 1 (all) */
    public RatioSampler(double ratio) {
        if (!(ratio >= 0 && ratio <= 1)) {
            throw new SondeException(Errno.EINVAL, "sampling ratio " + ratio + " must be within [0, 1]; 0.01 records 1 span in 100");
        }
        // Compared against 63 hash bits, so that ratio 1 accepts every hash and ratio 0 none.
        this.threshold = ratio == 1 ? Long.MAX_VALUE : (long) (ratio * 0x1p63);
    }

    @Override
    public boolean shouldSample(long methodId, long threadId, long nowNanos) {
        long h = mix(methodId * 0x9E3779B97F4A7C15L ^ threadId * 0xC2B2AE3D27D4EB4FL ^ nowNanos);
        return (h >>> 1) < threshold || threshold == Long.MAX_VALUE;
    }

    /** SplitMix64's finaliser: every input bit moves every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
