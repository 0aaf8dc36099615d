package dev.sonde.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the primitives the maps are built from cost on the machine at hand, one thread, uncontended: the floor
 * under every goal in benchmarks/README.md. A relay or ringbuf write needs a CAS (or a getAndAdd) and, with the
 * precise clock, a {@code System.nanoTime()}; a probe that finds its context needs a {@code ThreadLocal.get()};
 * every map access goes through a byte-buffer VarHandle or the buffer's own accessors.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar FloorBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FloorBenchmark {
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final ThreadLocal<long[]> LOCAL = ThreadLocal.withInitial(() -> new long[1]);

    private final AtomicLong atomic = new AtomicLong();
    private final ByteBuffer direct = ByteBuffer.allocateDirect(4096).order(ByteOrder.LITTLE_ENDIAN);
    private long plain;
    private int off = 64;
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BYTES_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** 1 MiB of records after a 128-byte header, the size of the relay benchmark's shard (16 x 64 KiB). */
    private final ByteBuffer ring = ByteBuffer.allocateDirect((1 << 20) + 128).order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] record = new byte[32];
    private volatile long clock = 1;

    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }

    @Benchmark
    public boolean casUncontended() {
        long v = atomic.get();
        return atomic.compareAndSet(v, v + 1);
    }

    @Benchmark
    public long getAndAddUncontended() {
        return atomic.getAndAdd(1);
    }

    @Benchmark
    public long plainIncrement() {
        return ++plain;
    }

    @Benchmark
    public long[] threadLocalGet() {
        return LOCAL.get();
    }

    @Benchmark
    public long bufferGetLong() {
        return direct.getLong(off);
    }

    @Benchmark
    public long varHandleGetAcquire() {
        return (long) LONG.getAcquire(direct, off);
    }

    @Benchmark
    public long varHandleGetAndAdd() {
        return (long) LONG.getAndAdd(direct, off, 1L);
    }

    /**
     * A relay write of a 32-byte record by hand, with nothing of the relay's bookkeeping (no sub-buffers, shard
     * choice, argument checks, stamp hash or reuse check): read the clock, CAS the position, the timestamp and
     * header words, four payload words, the length with release. The floor under {@code RelayBenchmark}'s writes.
     */
    @Benchmark
    public int relayRecordByHand() {
        ByteBuffer b = ring;
        long now = clock;
        long p = (long) LONG.getAcquire(b, 64);
        if (!LONG.compareAndSet(b, 64, p, p + 48)) {
            return -1;
        }
        int at = 128 + ((int) p & ((1 << 20) - 1));
        if (at > b.capacity() - 48) {
            at = 128;
        }
        LONG.set(b, at + 8, now);
        LONG.set(b, at, 0x5A5A_5A5BL << 32 | (32 | 1L << 31));
        for (int i = 0; i < 32; i += 8) {
            LONG.set(b, at + 16 + i, (long) BYTES_LONG.get(record, i));
        }
        INT.setRelease(b, at, 32);
        return 0;
    }
}
