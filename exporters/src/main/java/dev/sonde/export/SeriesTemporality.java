package dev.sonde.export;

import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns the cumulative values read from maps into exported points. Cumulative: the value as read. Delta: the
 * difference from the value read at the previous collection, kept here per series; the map itself is never
 * written, so nothing a program adds between the read and the next one is lost or counted twice, and the CLI
 * still sees running totals. A value below the previous one (a hash entry deleted and re-created, an LRU
 * eviction) is a reset: the whole value is the delta, as OTLP's cumulative-to-delta conversion treats it.
 */
final class SeriesTemporality {
    private final AggregationTemporality temporality;
    private final Map<String, long[]> previous = new HashMap<>();
    private final Map<String, Long> starts = new HashMap<>();

    SeriesTemporality(AggregationTemporality temporality) {
        this.temporality = temporality;
    }

    AggregationTemporality temporality() {
        return temporality;
    }

    /** The start time of {@code series}' point: first sight for cumulative, the previous collection for delta. */
    long start(String series, long now) {
        Long s = starts.get(series);
        if (temporality == AggregationTemporality.DELTA) {
            starts.put(series, now);
        } else if (s == null) {
            starts.put(series, now);
        }
        return s == null ? now : s;
    }

    long point(String series, long cumulative) {
        if (temporality == AggregationTemporality.CUMULATIVE) {
            return cumulative;
        }
        long[] prev = previous.get(series);
        if (prev == null) {
            previous.put(series, new long[] {cumulative});
            return cumulative;
        }
        long delta = Long.compareUnsigned(cumulative, prev[0]) >= 0 ? cumulative - prev[0] : cumulative;
        prev[0] = cumulative;
        return delta;
    }

    /** Per-bucket deltas of a histogram; a reset in any bucket resets the whole series. */
    long[] points(String series, long[] cumulative) {
        if (temporality == AggregationTemporality.CUMULATIVE) {
            return cumulative;
        }
        long[] prev = previous.get(series);
        previous.put(series, cumulative.clone());
        if (prev == null || prev.length != cumulative.length) {
            return cumulative;
        }
        long[] d = new long[cumulative.length];
        for (int i = 0; i < d.length; i++) {
            if (Long.compareUnsigned(cumulative[i], prev[i]) < 0) {
                return cumulative;
            }
            d[i] = cumulative[i] - prev[i];
        }
        return d;
    }

    /** Forgets series whose name starts with {@code prefix} (a map that went away). */
    void forget(String prefix) {
        previous.keySet().removeIf(k -> k.startsWith(prefix));
        starts.keySet().removeIf(k -> k.startsWith(prefix));
    }
}
