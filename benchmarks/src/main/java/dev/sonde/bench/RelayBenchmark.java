package dev.sonde.bench;

import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RelayMap;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * One thread writing 32-byte records: into an overwriting relay (its own shard, no consumer needed) with
 * reserve/put/commit and with output, with either clock. Run with {@code -prof gc} to see the 0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class RelayBenchmark {
    /** precise: System.nanoTime() per record; coarse: F_RELAY_COARSE_CLOCK's cached clock. */
    @Param({"precise", "coarse"})
    public String clock;

    private RelayMap relay;
    private final byte[] record = new byte[32];
    private long value;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        if (System.getProperty("sonde.dir") == null) {
            System.setProperty("sonde.dir", Files.createTempDirectory("sonde-bench").toString());
        }
        relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name("bench_relay").keySize(4).valueSize(64)
                .subbufSize(1 << 16).nSubbufs(16).numShards(1).flags(MapSpec.F_RELAY_OVERWRITE
                        | (clock.equals("coarse") ? MapSpec.F_RELAY_COARSE_CLOCK : 0)).build());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        relay.close();
    }

    @Benchmark
    public int relayReserveCommit() {
        long h = relay.reserve(32);
        if (h < 0) {
            return (int) h;
        }
        long v = ++value;
        relay.putLong(h, 0, v);
        relay.putLong(h, 8, v);
        relay.putLong(h, 16, v);
        relay.putLong(h, 24, v);
        return relay.commit(h);
    }

    /** What one System.nanoTime() costs on this machine: the precise clock's share of a write. */
    @Benchmark
    public long nanoTimeBaseline() {
        return System.nanoTime();
    }

    @Benchmark
    public int relayOutput() {
        return relay.output(record);
    }
}
