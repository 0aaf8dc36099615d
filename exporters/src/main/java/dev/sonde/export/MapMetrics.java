package dev.sonde.export;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Field;
import dev.sonde.maps.FieldType;
import dev.sonde.maps.MapMemory;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.SondeException;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.ExponentialHistogramData;
import io.opentelemetry.sdk.metrics.data.ExponentialHistogramPointData;
import io.opentelemetry.sdk.metrics.data.HistogramData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.metrics.data.SumData;
import io.opentelemetry.sdk.metrics.export.MetricProducer;
import io.opentelemetry.sdk.resources.Resource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Hash and array maps as OTLP metrics, read at each collection of the {@code PeriodicMetricReader} it is
 * registered with. Per entry (key decoded into attributes by the key schema):
 * <ul>
 *   <li>each integral value field is a sum named {@code <map>.<field>}: monotonic for unsigned fields (the
 *       {@code count} maps), not for signed ones; a map without a value schema and 8-byte values is one
 *       monotonic sum named {@code <map>};</li>
 *   <li>each {@code LOG2_HIST} value field is a histogram named {@code <map>.<field>};</li>
 *   <li>an array named in {@link Builder#log2Map} (the {@code latency} program's: element {@code j} counts bucket
 *       {@code j}) is one histogram named {@code <map>}, in nanoseconds.</li>
 * </ul>
 * Per-shard values are summed; entries whose values are all zero are left out. Histograms are exponential at
 * scale 0 or explicit-bucket ({@link Log2Buckets}). Temporality: see {@link SeriesTemporality}.
 */
public final class MapMetrics implements MetricProducer {
    /** How log2 histograms are exported. */
    public enum HistogramKind { EXPONENTIAL, EXPLICIT }

    static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.create("dev.sonde.maps");
    private static final Set<MapType> READABLE = EnumSet.of(MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.HASH,
            MapType.PERCPU_HASH, MapType.LRU_HASH);

    private final Supplier<List<BpfMap>> maps;
    private final HistogramKind histogramKind;
    private final Set<String> log2Maps;
    private final SeriesTemporality series;
    private final Set<Integer> seen = new HashSet<>();

    private MapMetrics(Builder b) {
        this.maps = b.maps;
        this.histogramKind = b.histogramKind;
        // Concurrent: probe files loaded later add their latency maps while the metric reader collects.
        this.log2Maps = java.util.concurrent.ConcurrentHashMap.newKeySet();
        this.log2Maps.addAll(b.log2Maps);
        this.series = new SeriesTemporality(b.temporality);
    }

    /**
     * Treats the named array as one log2 histogram from the next collection on: a probe file loaded after start-up
     * brings its {@code latency} maps this way.
     */
    public void addLog2Map(String mapName) {
        log2Maps.add(mapName);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public synchronized Collection<MetricData> produce(Resource resource) {
        long now = System.currentTimeMillis() * 1_000_000L;
        Points points = new Points();
        Set<Integer> live = new HashSet<>();
        for (BpfMap map : maps.get()) {
            if (!READABLE.contains(map.type())) {
                continue;
            }
            try {
                map.retain();
            } catch (SondeException freed) {
                continue; // closed since the list was taken
            }
            try {
                live.add(map.id());
                if (log2Maps.contains(map.name())) {
                    readLog2Array(map, now, points);
                } else {
                    readEntries(map, now, points);
                }
            } finally {
                map.release();
            }
        }
        for (Integer gone : seen) {
            if (!live.contains(gone)) {
                series.forget(gone + "/");
            }
        }
        seen.clear();
        seen.addAll(live);
        return points.build(resource, series.temporality());
    }

    private void readEntries(BpfMap map, long now, Points points) {
        List<Field> counters = new ArrayList<>();
        List<Field> hists = new ArrayList<>();
        for (Field f : map.spec().valueSchema()) {
            if (FieldCodec.integral(f.type())) {
                counters.add(f);
            } else if (f.type() == FieldType.LOG2_HIST) {
                hists.add(f);
            }
        }
        boolean bare = map.spec().valueSchema().isEmpty() && map.valueSize() == 8;
        if (bare) {
            counters.add(Field.of("", FieldType.U64, 0));
        }
        if (counters.isEmpty() && hists.isEmpty()) {
            return;
        }
        int shards = map.type().perShard() ? map.spec().numShards() : 1;
        int stride = MapMemory.roundUp8(map.valueSize());
        byte[] key = new byte[map.keySize()];
        byte[] next = new byte[map.keySize()];
        byte[] value = new byte[map.valueBufferSize()];
        long[] sums = new long[counters.size()];
        boolean first = true;
        while (map.getNextKey(first ? null : key, next) == 0) {
            first = false;
            System.arraycopy(next, 0, key, 0, key.length);
            if (map.lookup(key, value) != 0) {
                continue; // deleted since getNextKey
            }
            boolean any = false;
            for (int c = 0; c < sums.length; c++) {
                Field f = counters.get(c);
                long s = 0;
                for (int sh = 0; sh < shards; sh++) {
                    s += FieldCodec.readLong(value, sh * stride + f.offset(), f.type());
                }
                sums[c] = s;
                any |= s != 0;
            }
            long[][] hcounts = new long[hists.size()][];
            for (int h = 0; h < hcounts.length; h++) {
                Field f = hists.get(h);
                long[] counts = new long[f.size() / 8];
                for (int sh = 0; sh < shards; sh++) {
                    for (int j = 0; j < counts.length; j++) {
                        counts[j] += FieldCodec.le(value, sh * stride + f.offset() + 8 * j, 8);
                        any |= counts[j] != 0;
                    }
                }
                hcounts[h] = counts;
            }
            if (!any) {
                continue;
            }
            AttributesBuilder ab = Attributes.builder();
            FieldCodec.keyAttributes(key, map.spec().keySchema(), ab);
            Attributes attrs = ab.build();
            String keyHex = FieldCodec.hex(key, 0, key.length);
            for (int c = 0; c < sums.length; c++) {
                Field f = counters.get(c);
                String name = bare ? map.name() : map.name() + "." + f.name();
                String id = map.id() + "/" + f.name() + "/" + keyHex;
                long start = series.start(id, now);
                points.sum(name, !FieldCodec.signed(f.type()))
                        .add(LongPointData.create(start, now, attrs, series.point(id, sums[c])));
            }
            for (int h = 0; h < hcounts.length; h++) {
                String id = map.id() + "/" + hists.get(h).name() + "/" + keyHex;
                addHistogram(points, map.name() + "." + hists.get(h).name(), "", id, hcounts[h], now, attrs);
            }
        }
    }

    /** An array whose element {@code j} counts log2 bucket {@code j}: one histogram for the whole map. */
    private void readLog2Array(BpfMap map, long now, Points points) {
        if (map.type() != MapType.ARRAY && map.type() != MapType.PERCPU_ARRAY || map.valueSize() < 8) {
            return;
        }
        int shards = map.type().perShard() ? map.spec().numShards() : 1;
        int stride = MapMemory.roundUp8(map.valueSize());
        long[] counts = new long[map.maxEntries()];
        byte[] key = new byte[4];
        byte[] value = new byte[map.valueBufferSize()];
        boolean any = false;
        for (int j = 0; j < counts.length; j++) {
            key[0] = (byte) j;
            key[1] = (byte) (j >>> 8);
            key[2] = (byte) (j >>> 16);
            key[3] = (byte) (j >>> 24);
            if (map.lookup(key, value) != 0) {
                continue;
            }
            for (int sh = 0; sh < shards; sh++) {
                counts[j] += FieldCodec.le(value, sh * stride, 8);
            }
            any |= counts[j] != 0;
        }
        if (any) {
            addHistogram(points, map.name(), "ns", map.id() + "//", counts, now, Attributes.empty());
        }
    }

    private void addHistogram(Points points, String name, String unit, String id, long[] cumulative, long now,
            Attributes attrs) {
        long start = series.start(id, now);
        long[] counts = series.points(id, cumulative);
        if (histogramKind == HistogramKind.EXPONENTIAL) {
            points.exponential(name, unit).add(Log2Buckets.exponential(counts, start, now, attrs));
        } else {
            points.explicit(name, unit).add(Log2Buckets.explicit(counts, start, now, attrs));
        }
    }

    /** The points of one collection, grouped by metric name in first-seen order. */
    private static final class Points {
        private final Map<String, Object[]> byName = new LinkedHashMap<>();

        @SuppressWarnings("unchecked")
        private <T> List<T> list(String name, MetricDataType type, String unit, boolean monotonic) {
            Object[] e = byName.computeIfAbsent(name, n -> new Object[] {type, unit, monotonic, new ArrayList<T>()});
            return (List<T>) e[3];
        }

        List<LongPointData> sum(String name, boolean monotonic) {
            return list(name, MetricDataType.LONG_SUM, "1", monotonic);
        }

        List<ExponentialHistogramPointData> exponential(String name, String unit) {
            return list(name, MetricDataType.EXPONENTIAL_HISTOGRAM, unit, false);
        }

        List<HistogramPointData> explicit(String name, String unit) {
            return list(name, MetricDataType.HISTOGRAM, unit, false);
        }

        @SuppressWarnings("unchecked")
        Collection<MetricData> build(Resource resource, AggregationTemporality t) {
            List<MetricData> out = new ArrayList<>(byName.size());
            for (Map.Entry<String, Object[]> e : byName.entrySet()) {
                MetricDataType type = (MetricDataType) e.getValue()[0];
                String unit = (String) e.getValue()[1];
                boolean monotonic = (Boolean) e.getValue()[2];
                Object data;
                if (type == MetricDataType.LONG_SUM) {
                    data = SumData.createLongSumData(monotonic, t, (List<LongPointData>) e.getValue()[3]);
                } else if (type == MetricDataType.EXPONENTIAL_HISTOGRAM) {
                    data = ExponentialHistogramData.create(t, (List<ExponentialHistogramPointData>) e.getValue()[3]);
                } else {
                    data = HistogramData.create(t, (List<HistogramPointData>) e.getValue()[3]);
                }
                out.add(new SondeMetricData(resource, SCOPE, e.getKey(), "Sonde map " + e.getKey(), unit, type,
                        (io.opentelemetry.sdk.metrics.data.Data<?>) data));
            }
            return out;
        }
    }

    /** Settings; {@link SondeExporters} fills them from {@code sonde.metrics.*}. */
    public static final class Builder {
        private Supplier<List<BpfMap>> maps = Maps::list;
        private HistogramKind histogramKind = HistogramKind.EXPONENTIAL;
        private AggregationTemporality temporality = AggregationTemporality.CUMULATIVE;
        private final Set<String> log2Maps = new HashSet<>();

        private Builder() {
        }

        /** Where the maps come from; {@link Maps#list()} (every live map of this JVM) by default. */
        public Builder maps(Supplier<List<BpfMap>> maps) {
            this.maps = maps;
            return this;
        }

        public Builder histogramKind(HistogramKind kind) {
            this.histogramKind = kind;
            return this;
        }

        /** CUMULATIVE (running totals as read) or DELTA (differences between collections). */
        public Builder temporality(AggregationTemporality temporality) {
            this.temporality = temporality;
            return this;
        }

        /** Treats the named array as one log2 histogram, element {@code j} = bucket {@code j} (the {@code latency} program's maps). */
        public Builder log2Map(String mapName) {
            log2Maps.add(mapName);
            return this;
        }

        public MapMetrics build() {
            return new MapMetrics(this);
        }
    }
}
