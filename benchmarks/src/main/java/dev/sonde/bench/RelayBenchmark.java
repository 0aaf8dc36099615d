package dev.sonde.bench;

import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RelayMap;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * One thread writing 32-byte records, side by side: into an overwriting relay (the thread's own shard, nobody
 * needs to read) and into a ringbuf drained by a {@link RingBufConsumer} on a background thread, each with
 * reserve/put/commit and with output. The relay runs with either clock ({@code System.nanoTime()} per record,
 * or {@link MapSpec#F_RELAY_COARSE_CLOCK}); {@link #nanoTime} shows what one clock call costs on the machine.
 * A ringbuf write that finds the ring full fails at once; the {@code written}/{@code full} counters say how
 * its attempts split.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RelayBenchmark -prof gc} (0 B/op expected).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// The export: what the agent gives the maps runtime (JdkUnsafe), so JDK 24+ runs measure the agent's path.
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx512m"})
public class RelayBenchmark {
    static final int RECORD = 32;
    private static final AtomicInteger NAMES = new AtomicInteger();

    @State(Scope.Thread)
    public static class Relay {
        /** precise: System.nanoTime() per record; coarse: F_RELAY_COARSE_CLOCK's cached clock. */
        @Param({"precise", "coarse"})
        public String clock;
        /** Bytes per sub-buffer, 16 of them: 1 MiB a shard by default, as the ring beside it. */
        @Param({"65536"})
        public int subbufSize;
        /** Sub-buffers per shard. */
        @Param({"16"})
        public int nSubbufs;
        /**
         * shared: the thread writes its shard's file with a CAS a record, as every thread sharing it would;
         * private: {@link MapSpec#F_RELAY_PRIVATE_SHARDS}, after two sub-buffers the thread owns a file of its
         * own and writes it with plain stores.
         */
        @Param({"shared", "private"})
        public String files;
        RelayMap relay;
        final byte[] record = new byte[RECORD];

        @Setup(Level.Trial)
        public void setUp() {
            BenchDir.ensure();
            relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name("bench_relay" + NAMES.incrementAndGet())
                    .keySize(4).valueSize(64).subbufSize(subbufSize).nSubbufs(nSubbufs).numShards(1)
                    .flags(MapSpec.F_RELAY_OVERWRITE | (clock.equals("coarse") ? MapSpec.F_RELAY_COARSE_CLOCK : 0)
                            | (files.equals("private") ? MapSpec.F_RELAY_PRIVATE_SHARDS : 0))
                    .build());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            relay.close();
        }
    }

    @State(Scope.Benchmark)
    public static class Ring {
        RingBuf ring;
        RingBufConsumer consumer;
        Drainer drainer;
        final byte[] record = new byte[RECORD];

        @Setup(Level.Trial)
        public void setUp() {
            BenchDir.ensure();
            ring = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("bench_ring" + NAMES.incrementAndGet())
                    .maxEntries(1 << 20).build());
            long[] sink = new long[1];
            consumer = RingBufConsumer.create(ring, rec -> {
                sink[0] += rec.get(rec.position());
                return 0;
            });
            drainer = new Drainer("ringbuf-consumer", () -> Math.max(0, consumer.poll(100)), false);
            drainer.start();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            drainer.halt();
            consumer.close();
            ring.close();
        }
    }

    /**
     * The ringbuf as the kernel's answer to the same need (BPF_F_RB_OVERWRITE): a flight recorder that overwrites its
     * oldest records, written with no consumer attached, as the relay is. Same data size as the consuming ring.
     */
    @State(Scope.Benchmark)
    public static class OverwriteRing {
        RingBuf ring;
        final byte[] record = new byte[RECORD];

        @Setup(Level.Trial)
        public void setUp() {
            BenchDir.ensure();
            ring = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("bench_ow" + NAMES.incrementAndGet())
                    .maxEntries(1 << 20).flags(MapSpec.F_RB_OVERWRITE).build());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            ring.close();
        }
    }

    /** What the ringbuf attempts came to. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Attempts {
        public long written;
        public long full;

        @Setup(Level.Iteration)
        public void reset() {
            written = 0;
            full = 0;
        }
    }

    @Benchmark
    public int relayReserveCommit(Relay r) {
        RelayMap m = r.relay;
        long h = m.reserve(RECORD);
        if (h < 0) {
            return (int) h;
        }
        m.putBytes(h, 0, r.record, 0, RECORD);
        return m.commit(h);
    }

    @Benchmark
    public int relayOutput(Relay r) {
        return r.relay.output(r.record);
    }

    @Benchmark
    public int ringbufReserveCommit(Ring s, Attempts a) {
        RingBuf rb = s.ring;
        long h = rb.reserve(RECORD);
        if (h < 0) {
            a.full++;
            return (int) h;
        }
        rb.putBytes(h, 0, s.record, 0, RECORD);
        a.written++;
        return rb.commit(h, 0);
    }

    @Benchmark
    public int ringbufOutput(Ring s, Attempts a) {
        int r = s.ring.output(s.record, 0);
        if (r < 0) {
            a.full++;
        } else {
            a.written++;
        }
        return r;
    }

    /** Every attempt writes: a full overwrite ring makes room by dropping its oldest records. */
    @Benchmark
    public int ringbufOverwriteOutput(OverwriteRing s) {
        return s.ring.output(s.record, 0);
    }

    /** What one System.nanoTime() costs here: the precise clock's share of a relay write. */
    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }
}
