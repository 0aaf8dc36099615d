package dev.sonde.bench;

import dev.sonde.bench.RingBufBenchmark.Attempts;
import dev.sonde.bench.RingBufBenchmark.Payload;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * The floor under {@link RingBufBenchmark}'s two-producer rows: the least a ring can do whose producers share one
 * claim. {@link MinimalRing} has no wake-up, no BUSY state, no discard, no file, no checks and no API: a producer
 * CASes the tail (refreshing its copy of the head only when the ring looks full), copies the payload with word
 * stores and publishes the length with an ordered store; the consumer reads a published length, zeroes what it
 * read (so that a zero length means "not yet written") and gives space back a 64th of the ring at a time, as
 * Sonde's does, yielding when it finds nothing, as the Agrona consumer of the other class does. The
 * {@code protocol} parameter adds the kernel's record protocol piece by piece: the BUSY length right after the
 * claim, and the commit as an exchange, the full fence after which {@code bpf_ringbuf_commit} reads the consumer
 * position (not read here: no consumer sleeps). Same ring size,
 * payloads, thread shape and counters as there, so the rows compare in one run:
 * {@code java -jar benchmarks/target/benchmarks.jar 'RingBufBenchmark.(sonde|agrona)_2p$|RingFloorBenchmark'}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx1g"})
public class RingFloorBenchmark {
    private static final sun.misc.Unsafe U = BenchUnsafe.U;
    private static final long BYTES = sun.misc.Unsafe.ARRAY_BYTE_BASE_OFFSET;

    /**
     * Records are an 8-byte length word and the payload, 8-aligned; a record that would cross the end is preceded
     * by a padding record (bit 62 set) to the end. Tail, head and the producers' copy of the head each have a cache
     * line of their own.
     */
    static final class MinimalRing {
        private static final long PAD = 1L << 62;
        private static final long BUSY = 1L << 61;
        private final ByteBuffer memory; // keeps the addresses below valid
        private final long data;
        private final long tail;
        private final long head;
        private final long headCopy;
        private final int capacity;
        private final long mask;
        private final long release;
        /** The kernel's BUSY length, written right after the claim. */
        private final boolean busy;
        /** The kernel's commit: an exchange of the length word, a full fence. */
        private final boolean exchange;

        /** {@code protocol}: see {@link FloorRing#protocol}. */
        MinimalRing(int capacity, String protocol) {
            this.busy = protocol.equals("busy") || protocol.equals("kernel");
            this.exchange = protocol.equals("exchange") || protocol.equals("kernel");
            this.capacity = capacity;
            this.mask = capacity - 1;
            this.release = capacity >>> 6;
            this.memory = ByteBuffer.allocateDirect(capacity + 4 * 128 + 64);
            long base = (BenchUnsafe.address(memory) + 63) & ~63L;
            this.data = base;
            this.tail = base + capacity + 128;
            this.head = tail + 128;
            this.headCopy = head + 128;
            U.setMemory(base, capacity + 3 * 128 + 64, (byte) 0);
        }

        boolean write(byte[] src, int len) {
            int recLen = (8 + len + 7) & ~7;
            long t;
            int off;
            int pad;
            do {
                t = U.getLongVolatile(null, tail);
                off = (int) (t & mask);
                pad = capacity - off < recLen ? capacity - off : 0;
                long end = t + pad + recLen;
                if (end - U.getLongVolatile(null, headCopy) > capacity) {
                    long h = U.getLongVolatile(null, head);
                    if (end - h > capacity) {
                        return false;
                    }
                    U.putOrderedLong(null, headCopy, h);
                }
            } while (!U.compareAndSwapLong(null, tail, t, t + pad + recLen));
            if (pad != 0) {
                U.putOrderedLong(null, data + off, PAD | pad);
                off = 0;
            }
            if (busy) {
                U.putOrderedLong(null, data + off, BUSY | len);
            }
            long at = data + off + 8;
            for (int i = 0; i < len; i += 8) {
                U.putLong(at + i, U.getLong(src, BYTES + i));
            }
            if (exchange) {
                U.getAndSetLong(null, data + off, len); // a full fence, after which the kernel reads the consumer
            } else {
                U.putOrderedLong(null, data + off, len); // the consumer's acquire of the length sees the payload
            }
            return true;
        }

        long read(long[] sink) {
            long h = U.getLong(head); // only this thread writes it
            long given = h;
            long n = 0;
            for (;;) {
                int off = (int) (h & mask);
                long word = U.getLongVolatile(null, data + off);
                if (word == 0 || (word & BUSY) != 0) {
                    break;
                }
                int recLen;
                if ((word & PAD) != 0) {
                    recLen = (int) word;
                } else {
                    sink[0] += U.getByte(data + off + 8);
                    recLen = (8 + (int) word + 7) & ~7;
                    n++;
                }
                for (int i = 0; i < recLen; i += 8) {
                    U.putLong(data + off + i, 0L);
                }
                h += recLen;
                if (h - given >= release) {
                    U.putOrderedLong(null, head, h); // the zeroes before it, for the producer that reuses them
                    given = h;
                }
            }
            if (h != given) {
                U.putOrderedLong(null, head, h);
            }
            return n;
        }
    }

    @State(Scope.Benchmark)
    public static class FloorRing {
        /**
         * {@code minimal}: a length published once with an ordered store; {@code busy}: also the kernel's BUSY length
         * after the claim; {@code exchange}: the commit an exchange instead; {@code kernel}: both, as Sonde's ring.
         */
        @Param({"minimal", "busy", "exchange", "kernel"})
        public String protocol;
        MinimalRing ring;
        Drainer drainer;

        @Setup(Level.Trial)
        public void setUp() {
            ring = new MinimalRing(RingBufBenchmark.RING_BYTES, protocol);
            long[] sink = new long[1];
            drainer = new Drainer("floor-consumer", () -> ring.read(sink), true);
            drainer.start();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException {
            drainer.halt();
        }
    }

    static void floor(FloorRing f, Payload p, Attempts a) {
        if (f.ring.write(p.bytes, p.recordSize)) {
            a.written++;
        } else {
            a.full++;
        }
    }

    @Benchmark
    @Group("floor_1p")
    @GroupThreads(1)
    public void floor1(FloorRing f, Payload p, Attempts a) {
        floor(f, p, a);
    }

    @Benchmark
    @Group("floor_2p")
    @GroupThreads(2)
    public void floor2(FloorRing f, Payload p, Attempts a) {
        floor(f, p, a);
    }
}
