package dev.sonde.export;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.data.ExponentialHistogramBuckets;
import io.opentelemetry.sdk.metrics.data.ExponentialHistogramPointData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A Sonde log2 histogram ({@link dev.sonde.maps.Log2Histogram}: bucket 0 holds 0, bucket {@code j ≥ 1} holds
 * [2^(j-1), 2^j)) as an OTLP histogram point.
 *
 * <pre>
 *  Sonde bucket j        :  0      1       2        3        ...   j
 *  integer values        :  0      1      2..3     4..7            2^(j-1) .. 2^j - 1
 *  exponential, scale 0  :  zero   idx 0  idx 1    idx 2           idx j-1        covers (2^(j-1), 2^j]
 *  explicit bounds       :  (-inf,0] (0,1] (1,3]   (3,7]           (2^(j-1)-1, 2^j-1]
 * </pre>
 *
 * Exponential at scale 0: OTLP bucket {@code index} covers (2^index, 2^(index+1)] (upper-inclusive), so Sonde
 * bucket {@code j} becomes index {@code j-1}: the offset is (first non-empty Sonde bucket) - 1, and bucket 0 goes
 * to {@code zero_count} (threshold 0). Each exact power of two counts one OTLP bucket low, which no scale-0
 * mapping of a lower-inclusive histogram avoids. Explicit bounds {@code 2^j - 1} are exact for integer values
 * (durations in nanoseconds are), which is why they are offered. The sum is not kept by the map: it is estimated
 * as Σ count × lower bound, a lower bound of the true sum.
 */
final class Log2Buckets {
    private Log2Buckets() {
    }

    static double sumLowerBound(long[] counts) {
        double sum = 0;
        for (int j = 1; j < counts.length; j++) {
            sum += counts[j] * Math.scalb(1.0, j - 1);
        }
        return sum;
    }

    static ExponentialHistogramPointData exponential(long[] counts, long start, long now, Attributes attrs) {
        int first = -1;
        int last = -1;
        for (int j = 1; j < counts.length; j++) {
            if (counts[j] != 0) {
                if (first < 0) {
                    first = j;
                }
                last = j;
            }
        }
        List<Long> positive = new ArrayList<>();
        int offset = 0;
        if (first > 0) {
            offset = first - 1;
            for (int j = first; j <= last; j++) {
                positive.add(counts[j]);
            }
        }
        long zero = counts.length > 0 ? counts[0] : 0;
        return ExponentialHistogramPointData.create(0, sumLowerBound(counts), zero, false, 0, false, 0,
                ExponentialHistogramBuckets.create(0, offset, positive),
                ExponentialHistogramBuckets.create(0, 0, Collections.emptyList()),
                start, now, attrs, Collections.emptyList());
    }

    /** Bounds 0, 1, 3, ..., 2^(n-2) - 1 for n Sonde buckets: the last Sonde bucket is the overflow bucket. */
    static HistogramPointData explicit(long[] counts, long start, long now, Attributes attrs) {
        List<Double> bounds = new ArrayList<>(Math.max(0, counts.length - 1));
        List<Long> bucketCounts = new ArrayList<>(counts.length);
        for (int j = 0; j < counts.length; j++) {
            if (j < counts.length - 1) {
                bounds.add(Math.scalb(1.0, j) - 1);
            }
            bucketCounts.add(counts[j]);
        }
        return HistogramPointData.create(start, now, attrs, sumLowerBound(counts), false, 0, false, 0, bounds,
                bucketCounts);
    }
}
