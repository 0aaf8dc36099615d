package dev.sonde.bench;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * Keys are random values, all present, visited in the order they were inserted; the {@code *Shuffled} rows visit
 * them in a fixed random order instead (see there).
 *
 * <p>{@code bareGet} is the floor of any off-heap table on this JDK: a hand-written linear probe over a direct
 * {@code ByteBuffer} of 16-byte key/value slots at the same load factor, with a one-multiply hash and no
 * concurrency control at all (no state word, no ordering, no bound). {@code bareRawGet} is the same probe through
 * {@code sun.misc.Unsafe} on the buffer's address, without the byte buffer's checks: what an off-heap get can reach
 * at all, and the floor for Sonde's get where its map memory is raw ({@code HotMemory}, JDK 17-23).
 * {@code rawFormatGet} is that raw probe over Sonde's file format (HashLayout): 32-byte slots of ctrl word, bound,
 * key and value, the fib64 hash (one multiply, the top bits), LIVE/EMPTY states, but none of the protocol (no fence,
 * no re-check of ctrl, no bound) and no map API: what the format costs, apart from what the protocol costs.
 *
 * <p>{@code sideStateGet} is the candidate for a new format: {@code bareRawGet}'s 16-byte key/value slots, with each
 * slot's state (a u32 of state bits and a generation) in an array beside them, read with the lock-free protocol a
 * concurrent table needs (acquire load of the state, key compare, value load, fence, state re-check);
 * {@code sideStateNoRecheckGet} drops the fence and re-check. {@code foldedStateGet} keeps no state word: the key
 * word is the state (a reserved key value for an empty slot), read with acquire and read again after the value.
 * All without any map API: the most a map with that format could reach. The {@code *Shuffled} rows look keys up in
 * a fixed random order, as the other ones below.
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
    private static final int BARE_SLOT = 16;
    /** HashLayout's slot for 8-byte keys and values: ctrl u64, bound u32, ref u16, owner u16, key, value. */
    private static final int FORMAT_SLOT = 32;
    private static final long LIVE = 3;
    /** sideStateGet's state bits of a live slot; 0 is an empty one. */
    private static final int SIDE_LIVE = 3;
    private static final LongLongFunction SUM = Long::sum;
    private static final sun.misc.Unsafe U = BenchUnsafe.U;

    /** Keys in the map: from cache-resident to beyond L2. */
    @Param({"1024", "65536"})
    int size;

    private BpfMap sonde;
    private ConcurrentHashMap<Long, Long> chm;
    /** The same content as {@link #chm}, filled first and then moved by young collections (see {@link #age}). */
    private ConcurrentHashMap<Long, Long> chmAged;
    /** Where {@link #age}'s garbage goes, so the JIT cannot drop it. */
    static volatile Object sink;
    private Long2LongHashMap agrona;
    private long[] keys;
    private Long[] boxed;
    /** A random permutation of the key indexes, for the *Shuffled rows. */
    private int[] shuffled;
    private int mask;
    private ByteBuffer bare;
    private int bareShift;
    /** bare's base address; the buffer stays reachable through {@link #bare} while the benchmark runs. */
    private long bareAddress;
    private ByteBuffer format;
    private long formatAddress;
    private ByteBuffer side;
    private FoldedMap folded;
    private long sideCtrl;
    private long sideSlots;

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
        shuffled = new int[size];
        for (int i = 0; i < size; i++) {
            shuffled[i] = i;
        }
        for (int i = size - 1; i > 0; i--) { // Fisher-Yates, seeded: every run looks keys up in the same order
            int j = rnd.nextInt(i + 1);
            int t = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = t;
        }
        sonde = Maps.create(MapSpec.builder(MapType.HASH).keySize(8).valueSize(8).maxEntries(size).build());
        chmAged = new ConcurrentHashMap<>(2 * size);
        for (int i = 0; i < size; i++) {
            chmAged.put(boxed[i], (long) i);
        }
        age(2);
        chm = new ConcurrentHashMap<>(2 * size);
        agrona = new Long2LongHashMap(2 * size, 0.65f, -1L);
        bareShift = 64 - Integer.numberOfTrailingZeros(2 * size);
        bare = ByteBuffer.allocateDirect(2 * size * BARE_SLOT).order(ByteOrder.nativeOrder());
        for (int i = 0; i < size; i++) {
            int idx = bareHome(keys[i]);
            while (bare.getLong(idx * BARE_SLOT + 8) != 0) {
                idx = (idx + 1) & (2 * size - 1);
            }
            bare.putLong(idx * BARE_SLOT, keys[i]);
            bare.putLong(idx * BARE_SLOT + 8, i + 1L); // a value of 0 marks an empty slot
        }
        bareAddress = BenchUnsafe.address(bare);
        folded = new FoldedTableMap(bareAddress, 2 * size, true);
        format = ByteBuffer.allocateDirect(2 * size * FORMAT_SLOT).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < size; i++) {
            int idx = formatHome(keys[i]);
            while (format.getLong(idx * FORMAT_SLOT) != 0) {
                idx = (idx + 1) & (2 * size - 1);
            }
            format.putLong(idx * FORMAT_SLOT, LIVE);
            format.putLong(idx * FORMAT_SLOT + 16, keys[i]);
            format.putLong(idx * FORMAT_SLOT + 24, i);
        }
        formatAddress = BenchUnsafe.address(format);
        side = ByteBuffer.allocateDirect(2 * size * 4 + 2 * size * BARE_SLOT + 64).order(ByteOrder.LITTLE_ENDIAN);
        long sideBase = (BenchUnsafe.address(side) + 63) & ~63L;
        sideCtrl = sideBase;
        sideSlots = sideBase + 2 * size * 4;
        for (int i = 0; i < size; i++) {
            int idx = bareHome(keys[i]);
            while (U.getInt(sideCtrl + idx * 4L) != 0) {
                idx = (idx + 1) & (2 * size - 1);
            }
            U.putLong(sideSlots + idx * 16L, keys[i]);
            U.putLong(sideSlots + idx * 16L + 8, i);
            U.putInt(sideCtrl + idx * 4L, SIDE_LIVE | 4); // live, generation 1
        }
        Cursor check = new Cursor();
        for (int i = 0; i < size; i++) {
            check.i = i;
            long raw = bareRawGet(check);
            check.i = i;
            if (raw != i + 1L || rawFormatGet(check) != i || sideStateFind(keys[i]) != i
                    || foldedFind(keys[i]) != i + 1L || folded.getLong(folded.lookupElem(keys[i]), 0) != i + 1L) {
                throw new IllegalStateException("a raw probe missed key " + i);
            }
        }
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
    public long sondeGetByKey(Cursor c) {
        return sonde.lookupLong(keys[c.i++ & mask], 0, -1L);
    }

    @Benchmark
    public long bareGet(Cursor c) {
        long k = keys[c.i++ & mask];
        int slotMask = 2 * size - 1;
        for (int idx = bareHome(k);; idx = (idx + 1) & slotMask) {
            long stored = bare.getLong(idx * BARE_SLOT);
            if (stored == k) {
                return bare.getLong(idx * BARE_SLOT + 8);
            }
            if (bare.getLong(idx * BARE_SLOT + 8) == 0) {
                return -1;
            }
        }
    }

    @Benchmark
    public long bareRawGet(Cursor c) {
        return bareRawFind(keys[c.i++ & mask]);
    }

    private long bareRawFind(long k) {
        int slotMask = 2 * size - 1;
        long base = bareAddress;
        for (int idx = bareHome(k);; idx = (idx + 1) & slotMask) {
            long at = base + (long) idx * BARE_SLOT;
            if (U.getLong(at) == k) {
                return U.getLong(at + 8);
            }
            if (U.getLong(at + 8) == 0) {
                return -1;
            }
        }
    }

    @Benchmark
    public long rawFormatGet(Cursor c) {
        long k = keys[c.i++ & mask];
        int slotMask = 2 * size - 1;
        long base = formatAddress;
        for (int idx = formatHome(k);; idx = (idx + 1) & slotMask) {
            long at = base + (long) idx * FORMAT_SLOT;
            long ctrl = U.getLong(at);
            if (ctrl == LIVE && U.getLong(at + 16) == k) {
                return U.getLong(at + 24);
            }
            if (ctrl == 0) {
                return -1;
            }
        }
    }

    @Benchmark
    public long sideStateGet(Cursor c) {
        return sideStateFind(keys[c.i++ & mask]);
    }

    @Benchmark
    public long sideStateGetShuffled(Cursor c) {
        return sideStateFind(keys[shuffled[c.i++ & mask]]);
    }

    @Benchmark
    public long bareRawGetShuffled(Cursor c) {
        return bareRawFind(keys[shuffled[c.i++ & mask]]);
    }

    @Benchmark
    public long sideStateNoRecheckGet(Cursor c) {
        long k = keys[c.i++ & mask];
        int slotMask = 2 * size - 1;
        long ctrl = sideCtrl;
        long slots = sideSlots;
        for (int idx = bareHome(k);; idx = (idx + 1) & slotMask) {
            int cw = U.getIntVolatile(null, ctrl + idx * 4L);
            long at = slots + ((long) idx << 4);
            if ((cw & 3) == SIDE_LIVE && U.getLong(at) == k) {
                return U.getLong(at + 8);
            }
            if (cw == 0) {
                return -1;
            }
        }
    }

    /**
     * The state folded into the key word, over {@code bare}'s slots: zero is the empty slot's reserved key (the keys
     * here are random and non-zero), the key is read with acquire and read again after the value, as a table
     * whose inserts and deletes move the key word through reserved values would have to.
     */
    @Benchmark
    public long foldedStateGet(Cursor c) {
        return foldedFind(keys[c.i++ & mask]);
    }

    @Benchmark
    public long foldedStateGetShuffled(Cursor c) {
        return foldedFind(keys[shuffled[c.i++ & mask]]);
    }

    private long foldedFind(long k) {
        int slotMask = 2 * size - 1;
        long base = bareAddress;
        for (int idx = bareHome(k);; idx = (idx + 1) & slotMask) {
            long at = base + (long) idx * BARE_SLOT;
            long stored = U.getLongVolatile(null, at);
            if (stored == k) {
                long v = U.getLong(at + 8);
                U.loadFence();
                return U.getLong(at) == k ? v : -2;
            }
            if (stored == 0) {
                return -1;
            }
        }
    }

    /**
     * {@code foldedStateGet}'s table behind the shape of Sonde's typed API: a map object reached through an abstract
     * type (as {@code BpfMap}), whose {@code lookupElem} checks that the map takes typed keys and returns a handle
     * (the value's offset, or -ENOENT), and whose {@code getLong} checks the handle against the table with one
     * unsigned compare before the unchecked read, as {@code ValueMap.getLong}. A handle is returned after one
     * acquire read of the key: the key word is published last, after the value, so no re-check is needed for it.
     */
    @Benchmark
    public long foldedApiGet(Cursor c) {
        FoldedMap m = folded;
        return m.getLong(m.lookupElem(keys[c.i++ & mask]), 0);
    }

    @Benchmark
    public long foldedApiGetShuffled(Cursor c) {
        FoldedMap m = folded;
        return m.getLong(m.lookupElem(keys[shuffled[c.i++ & mask]]), 0);
    }

    /** The typed calls of a map, as BpfMap declares them. */
    abstract static class FoldedMap {
        abstract long lookupElem(long key);

        abstract long getLong(long handle, int offset);
    }

    /** See {@link #foldedApiGet}: bare's slots (key word, value word), zero the empty slot's reserved key. */
    static final class FoldedTableMap extends FoldedMap {
        private static final int ENOENT = 2;
        private final long base;
        private final int slotMask;
        private final int shift;
        private final int valueReads;
        private final boolean typedKeys;

        FoldedTableMap(long base, int capacity, boolean typedKeys) {
            this.base = base;
            this.slotMask = capacity - 1;
            this.shift = 64 - Integer.numberOfTrailingZeros(capacity);
            this.valueReads = capacity * BARE_SLOT - 8;
            this.typedKeys = typedKeys;
        }

        @Override
        long lookupElem(long k) {
            if (!typedKeys) {
                return -22;
            }
            long b = base;
            int msk = slotMask;
            for (int idx = (int) ((k * 0x9E3779B97F4A7C15L) >>> shift);; idx = (idx + 1) & msk) {
                int at = idx * BARE_SLOT;
                long stored = U.getLongVolatile(null, b + at);
                if (stored == k) {
                    return at + 8;
                }
                if (stored == 0) {
                    return -ENOENT;
                }
            }
        }

        @Override
        long getLong(long handle, int offset) {
            int at = (int) handle + offset;
            if (Integer.compareUnsigned(at, valueReads) > 0) {
                throw new IllegalArgumentException("handle " + handle + " is outside the map");
            }
            return U.getLong(base + at);
        }
    }

    /** The value of {@code k}, -1 when absent, -2 when its slot changed while read (a writer would retry). */
    private long sideStateFind(long k) {
        int slotMask = 2 * size - 1;
        long ctrl = sideCtrl;
        long slots = sideSlots;
        for (int idx = bareHome(k);; idx = (idx + 1) & slotMask) {
            int cw = U.getIntVolatile(null, ctrl + idx * 4L);
            long at = slots + ((long) idx << 4);
            if ((cw & 3) == SIDE_LIVE && U.getLong(at) == k) {
                long v = U.getLong(at + 8);
                U.loadFence();
                if (U.getInt(ctrl + idx * 4L) == cw) {
                    return v;
                }
                return -2;
            }
            if (cw == 0) {
                return -1;
            }
        }
    }

    /** HashFunction's fib64 v2 for an 8-byte key with seed 0: the top bits of (start ^ key) * 2^64/φ. */
    private int formatHome(long key) {
        return (int) (((8 * 0x9E3779B97F4A7C15L) ^ key) * 0x9E3779B97F4A7C15L >>> bareShift);
    }

    private int bareHome(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> bareShift);
    }

    @Benchmark
    public Long chmGet(Cursor c) {
        return chm.get(boxed[c.i++ & mask]);
    }

    /*
     * The rows above look keys up in insertion order, the order in which CHM allocated its nodes and the boxed keys,
     * so with 65536 keys its memory is walked in address order and the prefetcher hides its misses, where a probe's
     * keys come in any order. These look keys up in a fixed random order: CHM then meets the key object, table slot
     * and node at random, as a probe that boxes a fresh key meets table slot, node and stored key (equals), and
     * Sonde its slot, as before. One more array read for both.
     */

    @Benchmark
    public long sondeGetShuffled(Cursor c) {
        return sonde.getLong(sonde.lookupElem(keys[shuffled[c.i++ & mask]]), 0);
    }

    @Benchmark
    public long sondeGetByKeyShuffled(Cursor c) {
        return sonde.lookupLong(keys[shuffled[c.i++ & mask]], 0, -1L);
    }

    /**
     * {@link #chmGet} read to a {@code long}, as a caller that wants the count does and as {@code sondeGet} does
     * (it reads the value, where {@link #chmGet} hands the blackhole the boxed value without reading it); -1 when
     * absent.
     */
    @Benchmark
    public long chmGetLong(Cursor c) {
        Long v = chm.get(boxed[c.i++ & mask]);
        return v == null ? -1 : v;
    }

    @Benchmark
    public long chmGetLongShuffled(Cursor c) {
        Long v = chm.get(boxed[shuffled[c.i++ & mask]]);
        return v == null ? -1 : v;
    }

    /**
     * {@link #chmGet} on a map whose nodes were moved by two young collections, as those of any map a long-running
     * application filled a while ago: a copying collector lays them out in the order it reaches them, from the
     * table, not in the order they were allocated, which {@link #chmGet}'s fresh map keeps and reads them in.
     */
    @Benchmark
    public Long chmAgedGet(Cursor c) {
        return chmAged.get(boxed[c.i++ & mask]);
    }

    @Benchmark
    public Long chmAgedGetShuffled(Cursor c) {
        return chmAged.get(boxed[shuffled[c.i++ & mask]]);
    }

    /** Allocates short-lived garbage until the collectors have run {@code n} more times (30 s at most). */
    private static void age(int n) {
        long until = gcCount() + n;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (gcCount() < until) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("no " + n + " collections within 30 s of allocation");
            }
            for (int i = 0; i < 1024; i++) {
                sink = new byte[1 << 12];
            }
        }
        sink = null;
    }

    private static long gcCount() {
        long n = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory
                .getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    @Benchmark
    public Long chmGetShuffled(Cursor c) {
        return chm.get(boxed[shuffled[c.i++ & mask]]);
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
