package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The hash functions are part of the file format (HashLayout's hash_algo): pinned values, the typed, byte and
 * map-memory forms agreeing, where each puts a key's home slot, that files written with mix64 v1 still read,
 * and how evenly fib64 v2 spreads the keys programs use.
 */
class HashFunctionTest {
    @Test
    void bothAlgorithmsArePinned() {
        long start8 = HashFunction.start(0, 8);
        assertEquals(0x5618a9d408d01ad3L, HashFunction.fibChunk(start8, 0x0123456789ABCDEFL));
        assertEquals(0x67a45eaa41a3a457L, HashFunction.fibChunk(HashFunction.start(0, 4), 0x89ABCDEFL));
        assertEquals(0x161b2a4fe6d99cedL, HashFunction.hashChunk(start8, 0x0123456789ABCDEFL));
    }

    @Test
    void typedBytesAndMemoryFormsAgree() {
        SplittableRandom rnd = new SplittableRandom(7);
        ByteBuffer mem = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        for (int size = 1; size <= 24; size++) {
            for (int n = 0; n < 100; n++) {
                long start = HashFunction.start(rnd.nextLong(), size);
                byte[] key = new byte[size];
                rnd.nextBytes(key);
                mem.clear();
                mem.put(8, key);
                long fib = HashFunction.fib(start, key);
                long mix = HashFunction.hash(start, key);
                assertEquals(fib, HashFunction.fib(start, mem, 8, size), "fib64, " + size + "-byte key");
                assertEquals(mix, HashFunction.hash(start, mem, 8, size), "mix64, " + size + "-byte key");
                if (size <= 8) {
                    long chunk = 0;
                    for (int i = 0; i < size; i++) {
                        chunk |= (key[i] & 0xFFL) << (8 * i);
                    }
                    assertEquals(fib, HashFunction.fibChunk(start, chunk), "fib64 typed, " + size + "-byte key");
                    assertEquals(mix, HashFunction.hashChunk(start, chunk), "mix64 typed, " + size + "-byte key");
                } else {
                    assertEquals(mix, fib, "fib64 takes mix64's loop for keys of more than one chunk");
                }
            }
        }
    }

    @Test
    void newMapsUseFib64AndItsTopBits() {
        ByteBuffer b = table(HashLayout.HASH_ALGO_FIB64_V2, 1234);
        HashTable t = new HashTable(b, 8, 1024, false, 0);
        assertEquals(0, t.update(null, 42, null, BpfMap.ANY) < 0 ? -1 : 0);
        long h = HashFunction.fibChunk(HashFunction.start(1234, 8), 42);
        assertEquals(t.slotOffset((int) (h >>> (64 - 11))), t.findLong(42), "home = top 11 bits of 2048 slots");
        try (BpfMap m = Maps.create(MapSpec.builder(MapType.HASH).keySize(8).valueSize(16).maxEntries(16).build());
             BpfMap f = Maps.create(MapSpec.builder(MapType.HASH).keySize(8).valueSize(8).maxEntries(16).build())) {
            assertEquals(HashLayout.HASH_ALGO_FIB64_V2, m.mem.getInt(HashLayout.HASH_ALGO_OFFSET));
            assertEquals(FoldedHashLayout.HASH_ALGO_FOLDED, f.mem.getInt(HashLayout.HASH_ALGO_OFFSET),
                    "one-word keys and values: format 3, also fib64");
        }
    }

    @Test
    void aFileWrittenWithMix64StillReads() {
        ByteBuffer b = table(HashLayout.HASH_ALGO_MIX64_V1, 99);
        HashTable writer = new HashTable(b, 8, 1024, false, 0);
        SplittableRandom rnd = new SplittableRandom(3);
        long[] keys = rnd.longs(1000).toArray();
        for (long k : keys) {
            assertTrue(writer.update(null, k, null, BpfMap.ANY) >= 0);
        }
        HashLookup reader = new HashLookup(b, 8); // as Maps.open builds it from the file alone
        for (long k : keys) {
            assertTrue(reader.findLong(k) >= 0, "key " + k);
        }
        long h = HashFunction.hashChunk(HashFunction.start(99, 8), keys[0]);
        int home = (int) h & 2047;
        int slot = (reader.findLong(keys[0]) - MapHeaderLayout.DATA_OFFSET) / 32;
        assertTrue(((slot - home) & 2047) <= (b.getInt(reader.slotOffset(home) + HashLayout.BOUND_OFFSET)
                & HashLayout.BOUND_MASK), "mix64 v1 homes are the hash's low bits");
    }

    /**
     * 1024 keys in 2048 slots, in the patterns probes key by. A random function gives 0.5 extra probes on average
     * and a longest run of 10-20; mix64 v1 did. A one-multiply hash whose low bits were taken instead of its top
     * ones put keys that differ only in their high bits all on one home (a run of 1023).
     */
    @Test
    void fib64SpreadsStructuredKeys() {
        assertSpread("consecutive", i -> i);
        assertSpread("consecutive from 10^6", i -> 1_000_000 + i);
        assertSpread("addresses 8 apart", i -> 0x7f00_0000_1000L + 8 * i);
        assertSpread("addresses 4096 apart", i -> 4096 * i);
        assertSpread("in the high 32 bits", i -> i << 32);
        assertSpread("in the high 16 bits", i -> i << 48);
        assertSpread("two packed ints", i -> (i >>> 5) << 32 | (i & 31));
        assertSpread("a double's bits", i -> Double.doubleToLongBits(i + 1));
        SplittableRandom rnd = new SplittableRandom(11);
        assertSpread("random", i -> rnd.nextLong());
    }

    private static void assertSpread(String pattern, LongUnaryOperator key) {
        ByteBuffer b = table(HashLayout.HASH_ALGO_FIB64_V2, 0x5EED);
        HashTable t = new HashTable(b, 8, 1024, false, 0);
        long total = 0;
        int longest = 0;
        for (long i = 0; i < 1024; i++) {
            long k = key.applyAsLong(i);
            int off = t.update(null, k, null, BpfMap.ANY);
            assertTrue(off >= 0, pattern + ": insert " + i);
            int slot = (off - MapHeaderLayout.DATA_OFFSET) / t.slotSize;
            int d = (slot - t.home(t.hash(null, k))) & t.mask;
            total += d;
            longest = Math.max(longest, d);
        }
        double mean = total / 1024.0;
        assertTrue(mean <= 1.0 && longest <= 24, pattern + ": mean probe distance " + mean + ", longest " + longest);
    }

    /** A zeroed 8-byte-key, 8-byte-value table for 1024 elements (2048 slots), formatted with hash {@code algo}. */
    private static ByteBuffer table(int algo, long seed) {
        MapSpec spec = MapSpec.builder(MapType.HASH).keySize(8).valueSize(8).maxEntries(1024).build();
        ByteBuffer b = ByteBuffer.allocateDirect(MapHeaderLayout.DATA_OFFSET + 2048 * 32).order(ByteOrder.LITTLE_ENDIAN);
        HashTable.format(b, spec, seed);
        b.putInt(HashLayout.HASH_ALGO_OFFSET, algo);
        return b;
    }
}
