package dev.sonde.bench;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongLongFunction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A Sonde {@code HASH} map (8-byte keys, 8-byte values, typed accessors) side by side with
 * {@code ConcurrentHashMap<Long, Long>} and Agrona's {@code Long2LongHashMap}, on the same key set. The CHM gets
 * pre-boxed keys so that its figures carry no boxing of the key; its increment boxes the sum, as real code would.
 * Keys are visited in a fixed random order, all present.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar HashMap -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class HashMapBenchmark {
    private static final Long ONE = 1L;
    private static final LongLongFunction SUM = Long::sum;

    /** Keys in the map: from cache-resident to beyond L2. */
    @Param({"1024", "65536"})
    int size;

    private BpfMap sonde;
    private ConcurrentHashMap<Long, Long> chm;
    private Long2LongHashMap agrona;
    private long[] keys;
    private Long[] boxed;
    private int mask;

    /** Each benchmark thread walks the key array from its own position. */
    @State(Scope.Thread)
    public static class Cursor {
        int i;
    }

    @Setup
    public void setup() {
        BenchDir.ensure();
        mask = size - 1;
        keys = new long[size];
        boxed = new Long[size];
        SplittableRandom rnd = new SplittableRandom(42);
        java.util.HashSet<Long> seen = new java.util.HashSet<>();
        for (int i = 0; i < size; i++) {
            long k;
            do {
                k = rnd.nextLong();
            } while (!seen.add(k));
            keys[i] = k;
            boxed[i] = k;
        }
        sonde = Maps.create(MapSpec.builder(MapType.HASH).keySize(8).valueSize(8).maxEntries(size).build());
        chm = new ConcurrentHashMap<>(2 * size);
        agrona = new Long2LongHashMap(2 * size, 0.65f, -1L);
        for (int i = 0; i < size; i++) {
            if (sonde.incrementLong(keys[i], 0, i) != 0) {
                throw new IllegalStateException("insert failed at " + i);
            }
            chm.put(boxed[i], (long) i);
            agrona.put(keys[i], i);
        }
    }

    @TearDown
    public void tearDown() {
        sonde.close();
    }

    @Benchmark
    public long sondeGet(Cursor c) {
        return sonde.getLong(sonde.lookupElem(keys[c.i++ & mask]), 0);
    }

    @Benchmark
    public Long chmGet(Cursor c) {
        return chm.get(boxed[c.i++ & mask]);
    }

    @Benchmark
    public long agronaGet(Cursor c) {
        return agrona.get(keys[c.i++ & mask]);
    }

    @Benchmark
    public int sondeIncrement(Cursor c) {
        return sonde.incrementLong(keys[c.i++ & mask], 0, 1);
    }

    @Benchmark
    public Long chmIncrement(Cursor c) {
        return chm.merge(boxed[c.i++ & mask], ONE, Long::sum);
    }

    @Benchmark
    public long agronaIncrement(Cursor c) {
        return agrona.merge(keys[c.i++ & mask], 1L, SUM);
    }
}
