package dev.sonde.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.export.otlp.OtlpReceiver;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.FieldType;
import dev.sonde.maps.Log2Histogram;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Maps read by {@link MapMetrics}, exported by the SDK's OTLP/HTTP exporter, checked as the receiver decoded them. */
class MapMetricsTest {
    private final OtlpReceiver receiver = OtlpReceiver.start();
    private final List<BpfMap> maps = new ArrayList<>();

    @AfterEach
    void close() {
        receiver.close();
        maps.forEach(BpfMap::close);
    }

    private BpfMap create(MapSpec.Builder b) {
        BpfMap m = Maps.create(b.build());
        maps.add(m);
        return m;
    }

    private SdkMeterProvider provider(MapMetrics producer, Duration interval) {
        return SdkMeterProvider.builder()
                .registerMetricReader(PeriodicMetricReader.builder(OtlpHttpMetricExporter.builder()
                        .setEndpoint(receiver.httpEndpoint() + "/v1/metrics").build()).setInterval(interval).build())
                .registerMetricProducer(producer)
                .build();
    }

    /** Exports once (forceFlush collects) and returns the metrics of that export. */
    private List<Metric> exportOnce(MapMetrics producer) {
        try (SdkMeterProvider p = provider(producer, Duration.ofHours(1))) {
            assertTrue(p.forceFlush().join(10, TimeUnit.SECONDS).isSuccess());
        }
        return receiver.metrics();
    }

    private static Metric named(List<Metric> metrics, String name) {
        return metrics.stream().filter(m -> m.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + name + " in " + metrics));
    }

    private static Map<String, Object> attrs(List<KeyValue> kvs) {
        Map<String, Object> m = new HashMap<>();
        for (KeyValue kv : kvs) {
            m.put(kv.getKey(), kv.getValue().hasIntValue() ? (Object) kv.getValue().getIntValue()
                    : kv.getValue().getStringValue());
        }
        return m;
    }

    @Test
    void count_maps_become_monotonic_cumulative_sums_keyed_by_the_decoded_key() throws Exception {
        BpfMap calls = create(MapSpec.builder(MapType.HASH).name("mm_calls").keySize(8).valueSize(16).maxEntries(64)
                .keyField("method", FieldType.U64, 0, 8).valueField("calls", FieldType.U64, 0, 8)
                .valueField("balance", FieldType.I64, 8, 8));
        BpfMap bare = create(MapSpec.builder(MapType.PERCPU_HASH).name("mm_bare").keySize(8).valueSize(8).maxEntries(64));
        calls.incrementLong(7, 0, 3);
        calls.incrementLong(9, 0, 5);
        calls.incrementLong(9, 8, -2);
        calls.lookupOrInitElem(11); // all zero: left out
        Thread[] ts = new Thread[4];
        for (int t = 0; t < ts.length; t++) {
            ts[t] = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    bare.incrementLong(42, 0, 1);
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        List<Metric> ms = exportOnce(MapMetrics.builder().maps(() -> maps).build());

        Metric c = named(ms, "mm_calls.calls");
        assertTrue(c.getSum().getIsMonotonic());
        assertEquals(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE, c.getSum().getAggregationTemporality());
        Map<Object, Long> byMethod = new HashMap<>();
        for (NumberDataPoint p : c.getSum().getDataPointsList()) {
            byMethod.put(attrs(p.getAttributesList()).get("method"), p.getAsInt());
        }
        assertEquals(Map.of(7L, 3L, 9L, 5L), byMethod);

        Metric bal = named(ms, "mm_calls.balance");
        assertTrue(!bal.getSum().getIsMonotonic(), "a signed field is not monotonic");
        Map<Object, Long> balances = new HashMap<>();
        for (NumberDataPoint p : bal.getSum().getDataPointsList()) {
            balances.put(attrs(p.getAttributesList()).get("method"), p.getAsInt());
        }
        assertEquals(Map.of(7L, 0L, 9L, -2L), balances);

        Metric b = named(ms, "mm_bare");
        assertEquals(1, b.getSum().getDataPointsCount());
        assertEquals(4000, b.getSum().getDataPoints(0).getAsInt(), "per-shard values are summed");
        assertEquals(Map.of("key", 42L), attrs(b.getSum().getDataPoints(0).getAttributesList()));
    }

    private BpfMap latencyArray(String name) throws Exception {
        BpfMap h = create(MapSpec.builder(MapType.PERCPU_ARRAY).name(name).keySize(4).valueSize(8)
                .maxEntries(Log2Histogram.BUCKETS));
        long[] values = {0, 0, 1, 1, 1, 4, 5, 6, 7, 7, 600};
        Thread[] ts = new Thread[2];
        for (int t = 0; t < ts.length; t++) {
            int from = t;
            ts[t] = new Thread(() -> {
                for (int i = from; i < values.length; i += 2) {
                    h.addLong(h.lookupElem(Log2Histogram.bucket(values[i])), 0, 1);
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        return h;
    }

    @Test
    void a_log2_array_is_an_exponential_histogram_at_scale_0_with_the_zero_bucket_in_zero_count() throws Exception {
        latencyArray("mm_lat");
        List<Metric> ms = exportOnce(MapMetrics.builder().maps(() -> maps).log2Map("mm_lat").build());
        Metric m = named(ms, "mm_lat");
        assertEquals("ns", m.getUnit());
        ExponentialHistogramDataPoint p = m.getExponentialHistogram().getDataPoints(0);
        assertEquals(0, p.getScale());
        assertEquals(2, p.getZeroCount());
        assertEquals(11, p.getCount());
        // Sonde bucket 1 ([1,2)) is OTLP index 0 ((1,2]); 4..7 is Sonde bucket 3, index 2; 600 is bucket 10, index 9.
        assertEquals(0, p.getPositive().getOffset());
        assertEquals(List.of(3L, 0L, 5L, 0L, 0L, 0L, 0L, 0L, 0L, 1L), p.getPositive().getBucketCountsList());
        assertEquals(0, p.getNegative().getBucketCountsCount());
        assertEquals(3 * 1 + 5 * 4 + 512, p.getSum(), 0.0, "sum: count x lower bound");
    }

    @Test
    void a_log2_array_named_after_start_is_a_histogram_from_then_on() throws Exception {
        latencyArray("mm_late");
        MapMetrics mm = MapMetrics.builder().maps(() -> maps).build();
        assertTrue(named(exportOnce(mm), "mm_late").hasSum(), "not named yet: an array is a sum per element");
        mm.addLog2Map("mm_late");
        List<Metric> all = exportOnce(mm);
        Metric m = all.stream().filter(x -> x.getName().equals("mm_late")).reduce((a, b) -> b).orElseThrow();
        assertTrue(m.hasExponentialHistogram(), m.toString());
        assertEquals(11, m.getExponentialHistogram().getDataPoints(0).getCount());
    }

    @Test
    void the_offset_starts_at_the_first_non_empty_bucket() {
        BpfMap h = create(MapSpec.builder(MapType.ARRAY).name("mm_off").keySize(4).valueSize(8).maxEntries(64));
        h.addLong(h.lookupElem(Log2Histogram.bucket(1000)), 0, 2); // bucket 10: [512, 1024)
        h.addLong(h.lookupElem(Log2Histogram.bucket(5000)), 0, 1); // bucket 13: [4096, 8192)
        ExponentialHistogramDataPoint p = named(exportOnce(MapMetrics.builder().maps(() -> maps).log2Map("mm_off")
                .build()), "mm_off").getExponentialHistogram().getDataPoints(0);
        assertEquals(9, p.getPositive().getOffset(), "index 9 covers (512, 1024]");
        assertEquals(List.of(2L, 0L, 0L, 1L), p.getPositive().getBucketCountsList());
        assertEquals(0, p.getZeroCount());
    }

    @Test
    void explicit_buckets_have_bounds_2_to_the_j_minus_1() throws Exception {
        latencyArray("mm_lat2");
        List<Metric> ms = exportOnce(MapMetrics.builder().maps(() -> maps).log2Map("mm_lat2")
                .histogramKind(MapMetrics.HistogramKind.EXPLICIT).build());
        HistogramDataPoint p = named(ms, "mm_lat2").getHistogram().getDataPoints(0);
        assertEquals(63, p.getExplicitBoundsCount());
        assertEquals(List.of(0.0, 1.0, 3.0, 7.0, 15.0), p.getExplicitBoundsList().subList(0, 5));
        assertEquals(64, p.getBucketCountsCount());
        assertEquals(List.of(2L, 3L, 0L, 5L), p.getBucketCountsList().subList(0, 4));
        assertEquals(1L, p.getBucketCounts(10));
        assertEquals(11, p.getCount());
    }

    @Test
    void a_log2_hist_value_field_is_a_histogram_per_key() {
        BpfMap m = create(MapSpec.builder(MapType.HASH).name("mm_hist").keySize(8).valueSize(64 * 8).maxEntries(8)
                .keyField("route", FieldType.U64, 0, 8).valueField("ns", FieldType.LOG2_HIST, 0, 64 * 8));
        long h = m.lookupOrInitElem(3);
        m.addLong(h, 8 * Log2Histogram.bucket(3), 4);
        ExponentialHistogramDataPoint p = named(exportOnce(MapMetrics.builder().maps(() -> maps).build()), "mm_hist.ns")
                .getExponentialHistogram().getDataPoints(0);
        assertEquals(Map.of("route", 3L), attrs(p.getAttributesList()));
        assertEquals(1, p.getPositive().getOffset());
        assertEquals(List.of(4L), p.getPositive().getBucketCountsList());
    }

    @Test
    void delta_temporality_exports_differences_whose_sum_is_every_increment_written() throws Exception {
        BpfMap counts = create(MapSpec.builder(MapType.PERCPU_ARRAY).name("mm_delta").keySize(4).valueSize(8)
                .maxEntries(2));
        MapMetrics producer = MapMetrics.builder().maps(() -> maps)
                .temporality(io.opentelemetry.sdk.metrics.data.AggregationTemporality.DELTA).build();
        AtomicBoolean stop = new AtomicBoolean();
        long[] written = new long[2];
        Thread[] writers = new Thread[2];
        for (int t = 0; t < writers.length; t++) {
            int me = t;
            writers[t] = new Thread(() -> {
                long n = 0;
                while (!stop.get() || n < 1_000_000) {
                    counts.incrementLong(me, 0, 1);
                    n++;
                }
                written[me] = n;
            });
        }
        try (SdkMeterProvider p = provider(producer, Duration.ofMillis(20))) {
            for (Thread w : writers) {
                w.start();
            }
            receiver.awaitMetricRequests(20, Duration.ofSeconds(20));
            stop.set(true);
            for (Thread w : writers) {
                w.join();
            }
            // A flush that finds a periodic export in flight fails without collecting (nothing lost): retry.
            boolean flushed = false;
            for (int i = 0; i < 500 && !flushed; i++) {
                flushed = p.forceFlush().join(10, TimeUnit.SECONDS).isSuccess();
                if (!flushed) {
                    Thread.sleep(10); // a busy reader fails the flush at once: let its export finish
                }
            }
            assertTrue(flushed);
        }
        long[] exported = new long[2];
        int points = 0;
        for (Metric m : receiver.metrics("mm_delta")) {
            assertEquals(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, m.getSum().getAggregationTemporality());
            for (NumberDataPoint dp : m.getSum().getDataPointsList()) {
                exported[(int) (long) attrs(dp.getAttributesList()).get("key")] += dp.getAsInt();
                points++;
            }
        }
        assertTrue(points >= 20, "many collections while writing: " + points);
        assertEquals(written[0], exported[0]);
        assertEquals(written[1], exported[1]);
    }
}
