package dev.sonde.bench;

import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * Where a multi-producer ring's time goes: producers write as fast as they can into a 1 MiB ring (a full ring
 * fails the attempt, which is counted) while one consumer drains it, as {@link RingBufBenchmark}'s two-producer
 * rows do, but this counts every record the consumer gets and reads each thread's CPU time. On two cores three
 * busy threads share the CPUs, so throughput swings with the scheduler; the consumer's CPU time per record does
 * not. Sonde's ring ({@code poll}, which parks when idle and coalesces when busy) and Agrona's
 * {@code ManyToOneRingBuffer} (a reader that yields when idle), alternated round by round, and
 * {@link RingFloorBenchmark}'s minimal ring for scale. Not a JMH benchmark: JMH measures the producer threads only.
 *
 * <p>Run: {@code java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar
 * dev.sonde.bench.RingBufCpuCount 2 8 4} (producers, record bytes, rounds of 2 s per ring).
 */
public final class RingBufCpuCount {
    private static final int RING_BYTES = 1 << 20;
    private static final AtomicInteger NAMES = new AtomicInteger();

    private RingBufCpuCount() {
    }

    /** One ring under test: a producer's attempt, and a consumer step that returns the records it took. */
    private interface Ring extends AutoCloseable {
        boolean offer(byte[] src, UnsafeBuffer srcBuffer);

        long drain();

        /** Times the consumer was woken by a commit, or -1 where the ring does not count them. */
        default long wakeups() {
            return -1;
        }

        @Override
        void close();
    }

    private static Ring sonde() {
        RingBuf rb = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("cpu_count" + NAMES.incrementAndGet())
                .maxEntries(RING_BYTES).build());
        long[] sink = new long[1];
        RingBufConsumer c = RingBufConsumer.create(rb, rec -> {
            sink[0] += rec.get(rec.position());
            return 0;
        });
        return new Ring() {
            public boolean offer(byte[] src, UnsafeBuffer unused) {
                long h = rb.reserve(src.length);
                if (h < 0) {
                    return false;
                }
                rb.putBytes(h, 0, src, 0, src.length);
                rb.commit(h, 0);
                return true;
            }

            public long drain() {
                return Math.max(0, c.poll(100));
            }

            public long wakeups() {
                return rb.wakeups();
            }

            public void close() {
                c.close();
                rb.close();
            }
        };
    }

    private static Ring agrona() {
        ManyToOneRingBuffer rb = new ManyToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
        long[] sink = new long[1];
        return new Ring() {
            public boolean offer(byte[] src, UnsafeBuffer srcBuffer) {
                int i = rb.tryClaim(1, src.length);
                if (i < 0) {
                    return false;
                }
                rb.buffer().putBytes(i, srcBuffer, 0, src.length);
                rb.commit(i);
                return true;
            }

            public long drain() {
                int n = rb.read((type, buf, index, len) -> sink[0] += buf.getByte(index));
                if (n == 0) {
                    Thread.yield();
                }
                return n;
            }

            public void close() {
            }
        };
    }

    /** {@link RingFloorBenchmark.MinimalRing}: the least a ring with one shared claim does, for scale. */
    private static Ring floor() {
        RingFloorBenchmark.MinimalRing rb = new RingFloorBenchmark.MinimalRing(RING_BYTES, "minimal");
        long[] sink = new long[1];
        return new Ring() {
            public boolean offer(byte[] src, UnsafeBuffer unused) {
                return rb.write(src, src.length);
            }

            public long drain() {
                long n = rb.read(sink);
                if (n == 0) {
                    Thread.yield();
                }
                return n;
            }

            public void close() {
            }
        };
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: RingBufCpuCount <producers> <record bytes> <rounds>");
            System.exit(2);
        }
        int producers = Integer.parseInt(args[0]);
        int size = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        BenchDir.ensure();
        for (int round = 0; round < rounds; round++) {
            for (String name : new String[] {"sonde", "agrona", "floor"}) {
                try (Ring ring = name.equals("sonde") ? sonde() : name.equals("agrona") ? agrona() : floor()) {
                    System.out.println(name + " " + run(ring, producers, size));
                }
            }
        }
    }

    /** Runs one ring for 1 s of warm-up and 2 s measured; what the 2 s came to. */
    private static String run(Ring ring, int producers, int size) throws InterruptedException {
        byte[] src = new byte[size];
        UnsafeBuffer srcBuffer = new UnsafeBuffer(src);
        AtomicLong consumed = new AtomicLong();
        long[][] counts = new long[producers][16]; // [0] written, [1] full; a line apart per thread
        AtomicBoolean stop = new AtomicBoolean();
        Thread consumer = new Thread(() -> {
            long n = 0;
            while (!stop.getOpaque()) {
                n += ring.drain();
                consumed.setOpaque(n); // main reads it at the round's start and end
            }
        }, "consumer");
        Thread[] ps = new Thread[producers];
        for (int i = 0; i < producers; i++) {
            long[] c = counts[i];
            ps[i] = new Thread(() -> {
                while (!stop.getOpaque()) {
                    if (ring.offer(src, srcBuffer)) {
                        c[0]++;
                    } else {
                        c[1]++;
                    }
                }
            }, "producer" + i);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        consumer.start();
        for (Thread p : ps) {
            p.start();
        }
        Thread.sleep(1000);
        long c0 = consumed.getOpaque();
        long cpu0 = mx.getThreadCpuTime(consumer.getId());
        long pcpu0 = producerCpu(mx, ps);
        long w0 = ring.wakeups();
        long t0 = System.nanoTime();
        Thread.sleep(2000);
        long dt = System.nanoTime() - t0;
        long got = consumed.getOpaque() - c0;
        long cpu = mx.getThreadCpuTime(consumer.getId()) - cpu0;
        long pcpu = producerCpu(mx, ps) - pcpu0;
        long woken = ring.wakeups() - w0;
        stop.setOpaque(true);
        consumer.join();
        long written = 0;
        long full = 0;
        for (Thread p : ps) {
            p.join();
        }
        for (long[] c : counts) {
            written += c[0];
            full += c[1];
        }
        return String.format("%d producers, %d B: consumed %.1f/µs, consumer CPU %.0f%%, %.1f ns of consumer CPU a record,"
                + " producers' CPU %.0f%%, %.1f ns a record%s (whole run: %d written, %d refused as full, %d consumed)",
                producers, size, got * 1e3 / dt, cpu * 100.0 / dt, got == 0 ? 0 : (double) cpu / got,
                pcpu * 100.0 / dt, got == 0 ? 0 : (double) pcpu / got,
                w0 < 0 ? "" : String.format(", %.1f wake-ups/ms", woken * 1e6 / dt), written, full,
                consumed.get());
    }

    /** The CPU time the producer threads have used so far, all together. */
    private static long producerCpu(ThreadMXBean mx, Thread[] ps) {
        long sum = 0;
        for (Thread p : ps) {
            sum += mx.getThreadCpuTime(p.getId());
        }
        return sum;
    }
}
