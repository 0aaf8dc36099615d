package dev.sonde.probes.builtin;

/** bpftrace's {@code hist()} buckets: bucket 0 holds 0, bucket i (i ≥ 1) holds [2^(i-1), 2^i). */
public final class Log2 {
    /** Buckets a full histogram needs: 0, and one per bit of a non-negative long. */
    public static final int BUCKETS = 64;

    private Log2() {
    }

    /** The bucket of {@code v}; negative values go to bucket 0. */
    public static int bucket(long v) {
        return v <= 0 ? 0 : 64 - Long.numberOfLeadingZeros(v);
    }

    /** The smallest value in bucket {@code i}. */
    public static long lowerBound(int i) {
        return i == 0 ? 0 : 1L << (i - 1);
    }
}
