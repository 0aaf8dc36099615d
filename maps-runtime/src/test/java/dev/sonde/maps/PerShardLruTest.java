package dev.sonde.maps;

import static dev.sonde.maps.BpfMap.NOEXIST;
import static dev.sonde.maps.HashMapTest.k8;
import static dev.sonde.maps.LruHashMapTest.keys;
import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * LRU_HASH with F_NO_COMMON_LRU, as the kernel's per-CPU LRU (test_lru_map.c with BPF_F_NO_COMMON_LRU): every
 * shard holds max_entries / shards elements, a full shard evicts only what its threads inserted, and a delete
 * from anywhere gives the unit back to the shard that inserted the element.
 */
class PerShardLruTest {
    private static final int SHARDS = 2;

    private static BpfMap lru(int maxEntries) {
        return Maps.create(MapSpec.builder(MapType.LRU_HASH).keySize(8).valueSize(8).maxEntries(maxEntries)
                .numShards(SHARDS).flags(MapSpec.F_NO_COMMON_LRU).build());
    }

    /** Runs {@code body} on a new thread whose id selects {@code shard} (Shards.current), and waits for it. */
    private static void onShard(int shard, Runnable body) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable task = () -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        };
        Thread t;
        do {
            t = new Thread(task); // ids are handed out in turn, so one of the next few lands on the shard
        } while ((t.getId() & (SHARDS - 1)) != shard);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        if (failure.get() != null) {
            throw new AssertionError("on shard " + shard, failure.get());
        }
    }

    @Test
    void maxEntriesIsRoundedUpToAMultipleOfTheShards() {
        try (BpfMap m = lru(5)) {
            assertEquals(6, m.maxEntries(), "as htab_map_alloc's roundup(max_entries, num_possible_cpus())");
        }
        try (BpfMap m = lru(4)) {
            assertEquals(4, m.maxEntries());
        }
    }

    @Test
    void aFullShardEvictsItsOwnLeastUsedElementEvenWhenAnotherShardHasRoom() {
        try (BpfMap m = lru(6)) { // 3 per shard
            onShard(0, () -> {
                for (long k = 1; k <= 3; k++) {
                    assertEquals(0, m.update(k8(k), k8(k), NOEXIST));
                }
                assertTrue(m.lookupElem(1) >= 0);
                assertTrue(m.lookupElem(3) >= 0);
            });
            onShard(1, () -> assertEquals(0, m.update(k8(11), k8(11), NOEXIST)));
            onShard(0, () -> assertEquals(0, m.update(k8(4), k8(4), NOEXIST), "a full shard evicts, never E2BIG"));
            assertEquals(Set.of(1L, 3L, 4L, 11L), keys(m), "key 2, shard 0's unused element, went; shard 1 kept its room");
            onShard(1, () -> {
                assertEquals(0, m.update(k8(12), k8(12), NOEXIST));
                assertEquals(0, m.update(k8(13), k8(13), NOEXIST));
            });
            assertEquals(Set.of(1L, 3L, 4L, 11L, 12L, 13L), keys(m), "both shards full, nothing evicted across");
            onShard(1, () -> assertTrue(m.lookupOrInitElem(14) >= 0, "the typed insert evicts too"));
            Set<Long> left = keys(m);
            assertTrue(left.containsAll(Set.of(1L, 3L, 4L, 14L)), "shard 0 untouched by shard 1's eviction: " + left);
            assertEquals(6, left.size());
        }
    }

    @Test
    void aDeleteFromAnotherShardGivesTheUnitBackToTheOwner() {
        try (BpfMap m = lru(4)) { // 2 per shard
            onShard(0, () -> {
                assertEquals(0, m.update(k8(1), k8(1), NOEXIST));
                assertEquals(0, m.update(k8(2), k8(2), NOEXIST));
            });
            onShard(1, () -> assertEquals(0, m.delete(k8(1))));
            onShard(0, () -> assertEquals(0, m.update(k8(3), k8(3), NOEXIST)));
            assertEquals(Set.of(2L, 3L), keys(m), "shard 0 had room again: no eviction");
            onShard(1, () -> {
                assertEquals(0, m.update(k8(11), k8(11), NOEXIST));
                assertEquals(0, m.update(k8(12), k8(12), NOEXIST));
            });
            assertEquals(Set.of(2L, 3L, 11L, 12L), keys(m), "shard 1's two units were its own all along");
            byte[] v = new byte[8];
            onShard(1, () -> assertEquals(0, m.lookupAndDelete(k8(2), v)));
            onShard(0, () -> assertEquals(0, m.update(k8(4), k8(4), NOEXIST)));
            assertEquals(Set.of(3L, 4L, 11L, 12L), keys(m), "lookupAndDelete gives the unit back too");
        }
    }

    /** Threads on both shards insert far more keys than fit: every shard ends exactly full, no unit leaked. */
    @Test
    void concurrentInsertsFillEveryShardExactly() throws Exception {
        int perShard = 64;
        int threadsPerShard = 2;
        int keysPerThread = 20_000;
        try (BpfMap m = lru(SHARDS * perShard)) {
            CountDownLatch start = new CountDownLatch(1);
            Thread[] threads = new Thread[SHARDS * threadsPerShard];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            int made = 0;
            while (made < threads.length) {
                int want = made % SHARDS;
                int index = made;
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        // Keys carry the shard in bit 40 and the thread in bits 32-39, so the survivors can be told apart.
                        long base = (long) want << 40 | (long) index << 32;
                        for (long k = 0; k < keysPerThread; k++) {
                            int r = m.update(k8(base | k), k8(k), NOEXIST);
                            if (r != 0) {
                                throw new AssertionError("update gave " + r);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                if ((t.getId() & (SHARDS - 1)) == want) {
                    threads[made++] = t;
                }
            }
            for (Thread t : threads) {
                t.start();
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertNull(failure.get());
            Set<Long> left = keys(m);
            int[] perShardLeft = new int[SHARDS];
            for (long k : left) {
                perShardLeft[(int) (k >>> 40)]++;
            }
            assertEquals(SHARDS * perShard, ((HashValueMap) m).count());
            for (int s = 0; s < SHARDS; s++) {
                assertEquals(perShard, perShardLeft[s], "shard " + s + " holds exactly its share: " + new HashSet<>(left).size());
            }
        }
    }
}
