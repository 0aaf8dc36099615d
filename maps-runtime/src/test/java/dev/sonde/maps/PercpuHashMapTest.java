package dev.sonde.maps;

import static dev.sonde.maps.BpfMap.ANY;
import static dev.sonde.maps.BpfMap.EXIST;
import static dev.sonde.maps.BpfMap.NOEXIST;
import static dev.sonde.maps.HashMapTest.k8;
import static dev.sonde.maps.HashMapTest.l8;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** PERCPU_HASH: test_maps.c test_hashmap_percpu, with shards for CPUs; typed handles land in the thread's shard. */
class PercpuHashMapTest {
    static final int SHARDS = 4;

    static BpfMap percpu(int valueSize, int maxEntries) {
        return Maps.create(MapSpec.builder(MapType.PERCPU_HASH).keySize(8).valueSize(valueSize)
                .maxEntries(maxEntries).numShards(SHARDS).build());
    }

    static byte[] perShard(long base) {
        ByteBuffer b = ByteBuffer.allocate(8 * SHARDS).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < SHARDS; i++) {
            b.putLong(base + i);
        }
        return b.array();
    }

    static long shard(byte[] v, int i) {
        return ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong(8 * i);
    }

    @Test
    void testHashmapPercpu() {
        try (BpfMap m = percpu(8, 2)) {
            assertEquals(8 * SHARDS, m.valueBufferSize());
            byte[] value = perShard(100);
            long expectedKeyMask = 0;
            assertEquals(0, m.update(k8(1), value, ANY));
            byte[] out = new byte[8 * SHARDS];
            assertEquals(0, m.lookupAndDelete(k8(1), out));
            assertEquals(100, shard(out, 0));
            assertEquals(100 + SHARDS - 1, shard(out, SHARDS - 1));
            assertEquals(0, m.update(k8(1), value, NOEXIST));
            expectedKeyMask |= 1;
            assertEquals(-Errno.EEXIST, m.update(k8(1), value, NOEXIST));
            assertEquals(-Errno.EINVAL, m.update(k8(1), value, -1));
            assertEquals(0, m.lookup(k8(1), out));
            assertEquals(100, shard(out, 0));
            assertEquals(-Errno.ENOENT, m.lookup(k8(2), out));
            assertEquals(-Errno.ENOENT, m.update(k8(2), value, EXIST));
            assertEquals(0, m.update(k8(2), value, NOEXIST));
            expectedKeyMask |= 2;
            assertEquals(-Errno.E2BIG, m.update(k8(0), value, NOEXIST));
            assertEquals(-Errno.ENOENT, m.delete(k8(0)));
            byte[] first = new byte[8];
            assertEquals(0, m.getNextKey(null, first));
            assertEquals(l8(first), expectedKeyMask & l8(first));
            byte[] key = k8(0);
            byte[] next = new byte[8];
            boolean firstSeen = false;
            while (m.getNextKey(key, next) == 0) {
                if (!firstSeen) {
                    assertEquals(l8(first), l8(next));
                    firstSeen = true;
                }
                assertEquals(l8(next), expectedKeyMask & l8(next));
                expectedKeyMask &= ~l8(next);
                assertEquals(0, m.lookup(next, out));
                for (int i = 0; i < SHARDS; i++) {
                    assertEquals(100 + i, shard(out, i));
                }
                key = next.clone();
            }
            assertEquals(0, expectedKeyMask, "both keys visited");
            assertEquals(0, m.update(k8(1), value, EXIST));
            assertEquals(0, m.delete(k8(1)));
            assertEquals(0, m.delete(k8(2)));
            assertEquals(-Errno.ENOENT, m.delete(k8(2)));
            assertEquals(-Errno.ENOENT, m.getNextKey(null, next));
            assertEquals(-Errno.ENOENT, m.getNextKey(k8(0), next));
        }
    }

    @Test
    void valuesAreRoundedUpToEightBytesPerShard() {
        try (BpfMap m = percpu(3, 2)) {
            assertEquals(8 * SHARDS, m.valueBufferSize());
            byte[] v = new byte[8 * SHARDS];
            for (int i = 0; i < SHARDS; i++) {
                v[8 * i] = (byte) (i + 1);
                v[8 * i + 2] = (byte) (i + 10);
            }
            assertEquals(0, m.update(k8(5), v, ANY));
            byte[] out = new byte[8 * SHARDS];
            assertEquals(0, m.lookup(k8(5), out));
            assertArrayEquals(v, out);
        }
    }

    /** Each thread's typed increments land in its own shard; the byte[] lookup shows one sum per shard. */
    @Test
    void threadsWriteTheirOwnShards() throws InterruptedException {
        try (BpfMap m = percpu(8, 4)) {
            int threads = SHARDS;
            long[] shardOf = new long[threads];
            AtomicLong failures = new AtomicLong();
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts[t] = new Thread(() -> {
                    shardOf[id] = Shards.current(SHARDS);
                    for (int i = 0; i < 100_000; i++) {
                        if (m.incrementLong(9, 0, 1) != 0) {
                            failures.incrementAndGet();
                        }
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            assertEquals(0, failures.get());
            long[] expected = new long[SHARDS];
            for (long s : shardOf) {
                expected[(int) s] += 100_000;
            }
            byte[] out = new byte[8 * SHARDS];
            assertEquals(0, m.lookup(k8(9), out));
            long total = 0;
            for (int i = 0; i < SHARDS; i++) {
                assertEquals(expected[i], shard(out, i), "shard " + i);
                total += shard(out, i);
            }
            assertEquals(100_000L * threads, total);
            long h = m.lookupElem(9);
            assertEquals(expected[Shards.current(SHARDS)], m.getLong(h, 0), "this thread's handle is its shard");
        }
    }

    @Test
    void reinsertZeroesEveryShard() {
        try (BpfMap m = percpu(8, 1)) {
            assertEquals(0, m.update(k8(1), perShard(7), ANY));
            assertEquals(0, m.delete(k8(1)));
            assertTrue(m.lookupOrInitElem(1) >= 0);
            byte[] out = new byte[8 * SHARDS];
            assertEquals(0, m.lookup(k8(1), out));
            assertArrayEquals(new byte[8 * SHARDS], out);
        }
    }
}
