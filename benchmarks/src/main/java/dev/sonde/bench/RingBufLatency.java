package dev.sonde.bench;

import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What coalescing ({@link RingBufConsumer#coalesce}) costs in latency: one producer writes 8-byte records into a
 * 1 MiB ring at a given rate, every 64th stamped with {@code System.nanoTime()}, and the consumer ({@code poll} in a
 * loop) takes the time from commit to callback of each stamped one. Coalescing on and off alternate, round by round,
 * at each rate; the rate 0 is "as fast as the producer can". Percentiles of the stamped records, the records
 * consumed per µs and the consumer thread's CPU share. Not a JMH benchmark: JMH has no way to time a record across
 * two threads.
 *
 * <p>Run: {@code java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar
 * dev.sonde.bench.RingBufLatency 2 0.1 1 10 0} (rounds, then records per µs).
 */
public final class RingBufLatency {
    private static final int RING_BYTES = 1 << 20;
    private static final int STAMP_EVERY = 64;
    private static final AtomicInteger NAMES = new AtomicInteger();

    private RingBufLatency() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: RingBufLatency <rounds> <records per µs, 0 = flat out>...");
            System.exit(2);
        }
        BenchDir.ensure();
        int rounds = Integer.parseInt(args[0]);
        for (int a = 1; a < args.length; a++) {
            double rate = Double.parseDouble(args[a]);
            for (int round = 0; round < rounds; round++) {
                for (boolean coalesce : new boolean[] {true, false}) {
                    System.out.println(run(rate, coalesce));
                }
            }
        }
    }

    private static String run(double perMicro, boolean coalesce) throws InterruptedException {
        RingBuf rb = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("latency" + NAMES.incrementAndGet())
                .maxEntries(RING_BYTES).build());
        long[] samples = new long[1 << 22];
        int[] n = new int[1];
        long[] consumed = new long[1];
        AtomicBoolean measuring = new AtomicBoolean();
        RingBufConsumer c = RingBufConsumer.create(rb, rec -> {
            long stamp = rec.getLong(rec.position());
            if (stamp != 0 && n[0] < samples.length && measuring.getOpaque()) {
                samples[n[0]++] = System.nanoTime() - stamp;
            }
            consumed[0]++;
            return 0;
        }).coalesce(coalesce);
        AtomicBoolean stop = new AtomicBoolean();
        long[] refused = new long[1];
        Thread producer = new Thread(() -> {
            long gap = perMicro <= 0 ? 0 : (long) (1000 / perMicro);
            long next = System.nanoTime();
            long seq = 0;
            while (!stop.getOpaque()) {
                if (gap > 0) {
                    while (System.nanoTime() < next) {
                        Thread.onSpinWait();
                    }
                    next += gap;
                }
                long h = rb.reserve(8);
                if (h < 0) {
                    refused[0]++;
                    continue;
                }
                rb.putLong(h, 0, ++seq % STAMP_EVERY == 0 ? System.nanoTime() : 0);
                rb.commit(h, 0);
            }
        }, "producer");
        Thread consumer = new Thread(() -> {
            while (!stop.getOpaque()) {
                c.poll(100);
            }
        }, "consumer");
        consumer.start();
        producer.start();
        Thread.sleep(1000);
        long c0 = consumed[0];
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = mx.getThreadCpuTime(consumer.getId());
        measuring.setOpaque(true);
        long t0 = System.nanoTime();
        Thread.sleep(2000);
        measuring.setOpaque(false);
        long dt = System.nanoTime() - t0;
        long got = consumed[0] - c0; // read racily: a rate, not a count
        long cpu = mx.getThreadCpuTime(consumer.getId()) - cpu0;
        stop.setOpaque(true);
        producer.join();
        consumer.join();
        long lingers = c.lingers();
        c.close();
        rb.close();
        long[] s = Arrays.copyOf(samples, n[0]);
        Arrays.sort(s);
        return String.format("%s rate %s/µs: consumed %.1f/µs, consumer CPU %.0f%%, latency µs p50 %.1f p90 %.1f"
                + " p99 %.1f max %.1f (%d stamped), %d lingers, %d refused as full",
                coalesce ? "coalescing" : "eager     ", perMicro <= 0 ? "max" : perMicro, got * 1e3 / dt,
                cpu * 100.0 / dt,
                pct(s, 0.5), pct(s, 0.9), pct(s, 0.99), s.length == 0 ? 0 : s[s.length - 1] / 1e3, s.length, lingers,
                refused[0]);
    }

    private static double pct(long[] sorted, double q) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, q * sorted.length)] / 1e3;
    }
}
