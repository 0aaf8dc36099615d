package dev.sonde.bench;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.YieldingWaitStrategy;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.openjdk.jmh.annotations.*;

/**
 * Multi-producer, single-consumer rings side by side: Sonde's {@link RingBuf} (reserve, copy, commit; the consumer
 * a {@link RingBufConsumer} that parks when idle and coalesces when busy, see {@link SondeEagerRing}), the
 * Disruptor's multi-producer {@code RingBuffer} (tryNext, copy into the preallocated event, publish; a
 * {@code BatchEventProcessor} with a yielding wait) and Agrona's {@code ManyToOneRingBuffer} (tryClaim, copy,
 * commit; a reading thread that yields when idle). One or two producers, 8- or 64-byte payloads, each ring 1 MiB.
 * Every producer call is a try: a full ring fails at once, and the {@code written} / {@code full} counters show how
 * the attempts split. The {@code full_*} benchmarks measure that failure alone on a ring nobody drains; the
 * {@code *_sameThread} ones a record's round trip (produce, then consume it) in one thread, each ring's CPU cost
 * without another core's cache lines or any waiting.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RingBufBenchmark -prof gc}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx1g"})
public class RingBufBenchmark {
    static final int RING_BYTES = 1 << 20;
    private static final AtomicInteger NAMES = new AtomicInteger();

    /** Per producer thread: what its attempts came to. */
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

    @State(Scope.Benchmark)
    public static class Payload {
        @Param({"8", "64"})
        public int recordSize;
        byte[] bytes;
        UnsafeBuffer agronaSrc;

        @Setup(Level.Trial)
        public void setUp() {
            bytes = new byte[recordSize];
            for (int i = 0; i < recordSize; i++) {
                bytes[i] = (byte) i;
            }
            agronaSrc = new UnsafeBuffer(bytes);
        }
    }

    // ---- Sonde -------------------------------------------------------------------------------------------------

    @State(Scope.Benchmark)
    public static class SondeRing {
        RingBuf ring;
        RingBufConsumer consumer;
        Drainer drainer;

        @Setup(Level.Trial)
        public void setUp() {
            BenchDir.ensure();
            ring = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("bench" + NAMES.incrementAndGet())
                    .maxEntries(RING_BYTES).build());
            long[] sink = new long[1];
            consumer = RingBufConsumer.create(ring, rec -> {
                sink[0] += rec.get(rec.position());
                return 0;
            });
            drainer = drainer();
            drainer.start();
        }

        /** The consumer thread: {@code poll}, which parks when the ring is empty and coalesces when it is busy. */
        Drainer drainer() {
            return new Drainer("sonde-consumer", () -> Math.max(0, consumer.poll(100)), false);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            drainer.halt();
            consumer.close();
            ring.close();
        }
    }

    /** One attempt; {@code batched}: commit with {@link RingBuf#batchedWakeup}'s flags, else with 0. */
    static void sonde(SondeRing s, Payload p, Attempts a, boolean batched) {
        RingBuf rb = s.ring;
        long h = rb.reserve(p.recordSize);
        if (h < 0) {
            a.full++;
            return;
        }
        rb.putBytes(h, 0, p.bytes, 0, p.recordSize);
        rb.commit(h, batched ? rb.batchedWakeup(h, p.recordSize) : 0);
        a.written++;
    }

    @Benchmark
    @Group("sonde_1p")
    @GroupThreads(1)
    public void sonde1(SondeRing s, Payload p, Attempts a) {
        sonde(s, p, a, false);
    }

    @Benchmark
    @Group("sonde_2p")
    @GroupThreads(2)
    public void sonde2(SondeRing s, Payload p, Attempts a) {
        sonde(s, p, a, false);
    }

    /**
     * Sonde's ring with the peers' way of waiting: the consumer calls {@code consume()} (libbpf's
     * {@code ring_buffer__consume}) in a loop and yields when it found nothing, as the Agrona consumer here does,
     * instead of {@code poll}, which parks when idle and coalesces when busy. Apart from the waiting, the same as
     * {@link SondeRing}.
     */
    @State(Scope.Benchmark)
    public static class SondeBusyRing extends SondeRing {
        @Override
        Drainer drainer() {
            return new Drainer("sonde-busy-consumer", () -> Math.max(0, consumer.consume()), true);
        }
    }

    /**
     * Wake-ups batched as the {@code span} program batches them ({@link RingBuf#batchedWakeup}: FORCE_WAKEUP for
     * a record that starts or reaches into a quarter of the ring, NO_WAKEUP for the rest), into the {@code poll}ing
     * consumer of {@link SondeRing}.
     */
    @Benchmark
    @Group("sonde_batched_1p")
    @GroupThreads(1)
    public void sondeBatched1(SondeRing s, Payload p, Attempts a) {
        sonde(s, p, a, true);
    }

    @Benchmark
    @Group("sonde_batched_2p")
    @GroupThreads(2)
    public void sondeBatched2(SondeRing s, Payload p, Attempts a) {
        sonde(s, p, a, true);
    }

    /**
     * Sonde's ring with a consumer that does not coalesce ({@link RingBufConsumer#coalesce}{@code (false)}): every
     * {@code poll} looks at the ring at once, so a consumer that has caught up reads each record as it is committed.
     * The default consumer ({@link SondeRing}) waits once, about 100 µs, after a poll that found records without
     * parking; this row shows what that is worth.
     */
    @State(Scope.Benchmark)
    public static class SondeEagerRing extends SondeRing {
        @Override
        Drainer drainer() {
            consumer.coalesce(false);
            return super.drainer();
        }
    }

    @Benchmark
    @Group("sonde_eager_2p")
    @GroupThreads(2)
    public void sondeEager2(SondeEagerRing s, Payload p, Attempts a) {
        sonde(s, p, a, false);
    }

    @Benchmark
    @Group("sonde_busy_2p")
    @GroupThreads(2)
    public void sondeBusy2(SondeBusyRing s, Payload p, Attempts a) {
        sonde(s, p, a, false);
    }

    /** One thread produces and consumes: the CPU cost of a record's round trip, without another core's lines. */
    @State(Scope.Thread)
    public static class SondeLocal {
        RingBuf ring;
        RingBufConsumer consumer;

        @Setup(Level.Trial)
        public void setUp() {
            BenchDir.ensure();
            ring = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("benchlocal" + NAMES.incrementAndGet())
                    .maxEntries(RING_BYTES).build());
            long[] sink = new long[1];
            consumer = RingBufConsumer.create(ring, rec -> {
                sink[0] += rec.get(rec.position());
                return 0;
            });
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            consumer.close();
            ring.close();
        }
    }

    /** reserve, putBytes, commit, then consume that record, in one thread: records per µs. */
    @Benchmark
    public int sonde_sameThread(SondeLocal s, Payload p) {
        RingBuf rb = s.ring;
        long h = rb.reserve(p.recordSize);
        rb.putBytes(h, 0, p.bytes, 0, p.recordSize);
        rb.commit(h, 0);
        return s.consumer.consume();
    }

    // ---- Disruptor ---------------------------------------------------------------------------------------------

    @State(Scope.Benchmark)
    public static class DisruptorRing {
        RingBuffer<BenchEvent> ring;
        BatchEventProcessor<BenchEvent> processor;
        Thread thread;

        @Setup(Level.Trial)
        public void setUp() {
            // 16384 slots of 64 bytes: 1 MiB of payload, like the other two rings.
            ring = RingBuffer.createMultiProducer(BenchEvent::new, 16384, new YieldingWaitStrategy());
            long[] sink = new long[1];
            processor = new BatchEventProcessorBuilder().build(ring, ring.newBarrier(),
                    (BenchEvent e, long seq, boolean end) -> sink[0] += e.data[0]);
            ring.addGatingSequences(processor.getSequence());
            thread = new Thread(processor, "disruptor-consumer");
            thread.setDaemon(true);
            thread.start();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            processor.halt();
            thread.join(10_000);
        }
    }

    static void disruptor(DisruptorRing d, Payload p, Attempts a) {
        long seq;
        try {
            seq = d.ring.tryNext();
        } catch (InsufficientCapacityException e) {
            a.full++;
            return;
        }
        BenchEvent e = d.ring.get(seq);
        System.arraycopy(p.bytes, 0, e.data, 0, p.recordSize);
        e.length = p.recordSize;
        d.ring.publish(seq);
        a.written++;
    }

    @Benchmark
    @Group("disruptor_1p")
    @GroupThreads(1)
    public void disruptor1(DisruptorRing d, Payload p, Attempts a) {
        disruptor(d, p, a);
    }

    @Benchmark
    @Group("disruptor_2p")
    @GroupThreads(2)
    public void disruptor2(DisruptorRing d, Payload p, Attempts a) {
        disruptor(d, p, a);
    }

    /** The Disruptor's round trip in one thread: tryNext, copy, publish, then an {@code EventPoller} takes it. */
    @State(Scope.Thread)
    public static class DisruptorLocal {
        RingBuffer<BenchEvent> ring;
        EventPoller<BenchEvent> poller;
        final long[] sink = new long[1];
        EventPoller.Handler<BenchEvent> handler;

        @Setup(Level.Trial)
        public void setUp() {
            ring = RingBuffer.createMultiProducer(BenchEvent::new, 16384, new YieldingWaitStrategy());
            poller = ring.newPoller();
            ring.addGatingSequences(poller.getSequence());
            handler = (e, seq, end) -> {
                sink[0] += e.data[0];
                return true;
            };
        }
    }

    @Benchmark
    public EventPoller.PollState disruptor_sameThread(DisruptorLocal d, Payload p) throws Exception {
        long seq = d.ring.next();
        BenchEvent e = d.ring.get(seq);
        System.arraycopy(p.bytes, 0, e.data, 0, p.recordSize);
        e.length = p.recordSize;
        d.ring.publish(seq);
        return d.poller.poll(d.handler);
    }

    // ---- Agrona ------------------------------------------------------------------------------------------------

    /** Agrona's round trip in one thread: tryClaim, copy, commit, then read. */
    @State(Scope.Thread)
    public static class AgronaLocal {
        ManyToOneRingBuffer ring;
        final long[] sink = new long[1];
        org.agrona.concurrent.MessageHandler handler;

        @Setup(Level.Trial)
        public void setUp() {
            ring = new ManyToOneRingBuffer(new UnsafeBuffer(
                    ByteBuffer.allocateDirect(RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
            handler = (type, buf, index, len) -> sink[0] += buf.getByte(index);
        }
    }

    @Benchmark
    public int agrona_sameThread(AgronaLocal g, Payload p) {
        int index = g.ring.tryClaim(1, p.recordSize);
        g.ring.buffer().putBytes(index, p.agronaSrc, 0, p.recordSize);
        g.ring.commit(index);
        return g.ring.read(g.handler);
    }

    @State(Scope.Benchmark)
    public static class AgronaRing {
        ManyToOneRingBuffer ring;
        Drainer drainer;

        @Setup(Level.Trial)
        public void setUp() {
            ring = new ManyToOneRingBuffer(new UnsafeBuffer(
                    ByteBuffer.allocateDirect(RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
            drainer = drainer(new long[1]);
            drainer.start();
        }

        /** The reading thread: reads what is there, yields when there was nothing. */
        Drainer drainer(long[] sink) {
            return new Drainer("agrona-consumer",
                    () -> ring.read((type, buf, index, len) -> sink[0] += buf.getByte(index)), true);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            drainer.halt();
        }
    }

    /**
     * Agrona's ring with Sonde's coalescing done by hand, for comparison: after a read that found messages the reader
     * parks once for {@code 20 µs} (as {@code RingBufConsumer.poll} lingers, without its check that the ring can
     * hold what comes in meanwhile); it yields when it found none. How much of Sonde's lead is its consumer's policy.
     */
    @State(Scope.Benchmark)
    public static class AgronaLingerRing extends AgronaRing {
        @Override
        Drainer drainer(long[] sink) {
            return new Drainer("agrona-linger-consumer", () -> {
                int n = ring.read((type, buf, index, len) -> sink[0] += buf.getByte(index));
                if (n > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000L);
                }
                return n;
            }, true);
        }
    }

    @Benchmark
    @Group("agrona_linger_2p")
    @GroupThreads(2)
    public void agronaLinger2(AgronaLingerRing g, Payload p, Attempts a) {
        agrona(g, p, a);
    }

    static void agrona(AgronaRing g, Payload p, Attempts a) {
        int index = g.ring.tryClaim(1, p.recordSize);
        if (index < 0) {
            a.full++;
            return;
        }
        g.ring.buffer().putBytes(index, p.agronaSrc, 0, p.recordSize);
        g.ring.commit(index);
        a.written++;
    }

    @Benchmark
    @Group("agrona_1p")
    @GroupThreads(1)
    public void agrona1(AgronaRing g, Payload p, Attempts a) {
        agrona(g, p, a);
    }

    @Benchmark
    @Group("agrona_2p")
    @GroupThreads(2)
    public void agrona2(AgronaRing g, Payload p, Attempts a) {
        agrona(g, p, a);
    }

    // ---- a full ring: the failing attempt alone ------------------------------------------------------------------

    @State(Scope.Benchmark)
    public static class FullRings {
        RingBuf sonde;
        RingBuffer<BenchEvent> disruptor;
        ManyToOneRingBuffer agrona;

        @Setup(Level.Trial)
        public void setUp() {
            BenchDir.ensure();
            sonde = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("benchfull" + NAMES.incrementAndGet())
                    .maxEntries(1 << 16).build());
            while (sonde.reserve(64) >= 0) {
                // fill (records stay reserved: nobody consumes)
            }
            disruptor = RingBuffer.createMultiProducer(BenchEvent::new, 1024, new YieldingWaitStrategy());
            disruptor.addGatingSequences(new com.lmax.disruptor.Sequence());
            try {
                for (;;) {
                    disruptor.publish(disruptor.tryNext());
                }
            } catch (InsufficientCapacityException full) {
                // full
            }
            agrona = new ManyToOneRingBuffer(new UnsafeBuffer(
                    ByteBuffer.allocateDirect((1 << 16) + RingBufferDescriptor.TRAILER_LENGTH)));
            while (agrona.tryClaim(1, 64) >= 0) {
                // fill
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            sonde.close();
        }
    }

    @Benchmark
    public long full_sonde(FullRings f) {
        return f.sonde.reserve(64);
    }

    @Benchmark
    public long full_disruptor(FullRings f) {
        try {
            return f.disruptor.tryNext();
        } catch (InsufficientCapacityException e) {
            return -1;
        }
    }

    @Benchmark
    public int full_agrona(FullRings f) {
        return f.agrona.tryClaim(1, 64);
    }

    /*
     * Two threads failing on one full ring at once: what every application thread does while the exporter lags.
     * Each refusal is counted (Sonde's dropped records), so the count's cache line is contended unless striped.
     */

    @Benchmark
    @Threads(2)
    public long full_sonde_2t(FullRings f) {
        return f.sonde.reserve(64);
    }

    @Benchmark
    @Threads(2)
    public int full_agrona_2t(FullRings f) {
        return f.agrona.tryClaim(1, 64);
    }
}
