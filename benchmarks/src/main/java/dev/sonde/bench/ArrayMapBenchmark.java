package dev.sonde.bench;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hottest calls of Sonde, a program's {@code lookupElem} + {@code getLong} and {@code addLong} on an
 * {@code ARRAY} and a {@code PERCPU_ARRAY}, beside the same work on a plain {@code long[]} and an
 * {@code AtomicLongArray}. Single-threaded: the figure is the cost of the call itself.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// The export: what the agent gives the maps runtime (JdkUnsafe), so JDK 24+ runs measure the agent's path.
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
@State(Scope.Benchmark)
public class ArrayMapBenchmark {
    private static final int ENTRIES = 256;

    /** Not a constant, so the JIT cannot fold the bounds checks away. */
    int key = 17;
    BpfMap array;
    BpfMap percpu;
    long[] longs;
    AtomicLongArray atomics;
    private Path dir;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (System.getProperty("sonde.dir") == null) {
            dir = Files.createTempDirectory("sonde-bench");
            System.setProperty("sonde.dir", dir.toString());
        }
        array = Maps.create(MapSpec.builder(MapType.ARRAY).name("bench_array").keySize(4).valueSize(8)
                .maxEntries(ENTRIES).build());
        percpu = Maps.create(MapSpec.builder(MapType.PERCPU_ARRAY).name("bench_percpu").keySize(4).valueSize(8)
                .maxEntries(ENTRIES).build());
        longs = new long[ENTRIES];
        atomics = new AtomicLongArray(ENTRIES);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        array.close();
        percpu.close();
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Benchmark
    public long arrayLookupGet() {
        return array.getLong(array.lookupElem(key), 0);
    }

    @Benchmark
    public long arrayAdd() {
        return array.addLong(array.lookupElem(key), 0, 1);
    }

    @Benchmark
    public long percpuLookupGet() {
        return percpu.getLong(percpu.lookupElem(key), 0);
    }

    @Benchmark
    public long percpuAdd() {
        return percpu.addLong(percpu.lookupElem(key), 0, 1);
    }

    @Benchmark
    public long baselineLongArrayGet() {
        return longs[key];
    }

    @Benchmark
    public long baselineLongArrayIncrement() {
        return ++longs[key];
    }

    @Benchmark
    public long baselineAtomicLongArrayGet() {
        return atomics.get(key);
    }

    @Benchmark
    public long baselineAtomicLongArrayAdd() {
        return atomics.getAndAdd(key, 1);
    }
}
