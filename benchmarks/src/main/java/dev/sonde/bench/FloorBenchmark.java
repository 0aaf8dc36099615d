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
}
