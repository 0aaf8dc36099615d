package dev.sonde.maps;

import static dev.sonde.maps.BpfMap.ANY;
import static dev.sonde.maps.BpfMap.EXIST;
import static dev.sonde.maps.BpfMap.NOEXIST;
import static dev.sonde.maps.HashMapTest.i4;
import static dev.sonde.maps.HashMapTest.k4;
import static dev.sonde.maps.HashMapTest.k8;
import static dev.sonde.maps.HashMapTest.l8;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

/** Many threads on one hash map: every insert, delete and increment counted exactly. */
class HashMapConcurrencyTest {
    interface Task {
        void run(int thread) throws Exception;
    }

    /** Runs {@code task} on {@code n} threads (test_maps.c's run_parallel) and rethrows the first failure. */
    static void runParallel(int n, Task task) throws InterruptedException {
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    task.run(id);
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "hash-test-" + t);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        if (!errors.isEmpty()) {
            AssertionError e = new AssertionError("a thread failed", errors.peek());
            throw e;
        }
    }

    static BpfMap hash(MapType type, int keySize, int valueSize, int maxEntries) {
        return Maps.create(MapSpec.builder(type).keySize(keySize).valueSize(valueSize).maxEntries(maxEntries).build());
    }

    static Set<Long> walk(BpfMap m) {
        Set<Long> keys = new HashSet<>();
        byte[] key = null;
        byte[] next = new byte[m.keySize()];
        while (m.getNextKey(key, next) == 0) {
            long k = m.keySize() == 8 ? l8(next) : i4(next);
            assertTrue(keys.add(k), "key " + k + " twice");
            key = next.clone();
        }
        return keys;
    }

    /** test_maps.c test_map_parallel: tasks insert disjoint keys (NOEXIST then EXIST), all are there, then delete. */
    @Test
    void testMapParallel() throws InterruptedException {
        int mapSize = 1500;
        int tasks = 8;
        try (BpfMap m = hash(MapType.HASH, 4, 4, mapSize)) {
            for (int round = 0; round < 5; round++) {
                runParallel(tasks, fn -> {
                    if ((fn & 1) != 0) {
                        walkWhileOthersWrite(m);
                    }
                    for (int i = fn; i < mapSize; i += tasks) {
                        assertEquals(0, m.update(k4(i), k4(i), NOEXIST));
                        assertEquals(0, m.update(k4(i), k4(i), EXIST));
                    }
                });
                assertEquals(-Errno.EEXIST, m.update(k4(0), k4(0), NOEXIST));
                byte[] key = k4(-1);
                assertEquals(0, m.getNextKey(null, key));
                key = k4(-1);
                for (int i = 0; i < mapSize; i++) {
                    assertEquals(0, m.getNextKey(key, key));
                }
                assertEquals(-Errno.ENOENT, m.getNextKey(key, key));
                byte[] v = new byte[4];
                for (int i = 0; i < mapSize; i++) {
                    int k = mapSize - i - 1;
                    assertEquals(0, m.lookup(k4(k), v));
                    assertEquals(k, i4(v));
                }
                runParallel(tasks, fn -> {
                    for (int i = fn; i < mapSize; i += tasks) {
                        assertEquals(0, m.delete(k4(i)));
                    }
                });
                assertEquals(-Errno.ENOENT, m.getNextKey(null, key));
                assertEquals(-Errno.ENOENT, m.getNextKey(k4(-1), key));
                assertEquals(0, ((HashValueMap) m).count());
            }
        }
    }

    private static void walkWhileOthersWrite(BpfMap m) {
        byte[] key = null;
        byte[] next = new byte[4];
        byte[] v = new byte[4];
        int steps = 0;
        while (m.getNextKey(key, next) == 0 && steps++ < 5000) {
            int r = m.lookup(next, v);
            assertTrue(r == 0 || r == -Errno.ENOENT);
            if (r == 0) {
                assertEquals(i4(next), i4(v), "a key's value is its own");
            }
            key = next.clone();
        }
    }

    @Test
    void disjointTypedInsertsThenDeletesCountExactly() throws InterruptedException {
        int threads = 4;
        int perThread = 50_000;
        try (BpfMap m = hash(MapType.HASH, 8, 8, threads * perThread)) {
            HashValueMap hm = (HashValueMap) m;
            runParallel(threads, t -> {
                for (long i = 0; i < perThread; i++) {
                    long key = i * threads + t;
                    long h = m.lookupOrInitElem(key);
                    assertTrue(h >= 0);
                    m.putLong(h, 0, key + 1);
                }
            });
            assertEquals((long) threads * perThread, hm.count());
            assertEquals(-Errno.E2BIG, m.lookupOrInitElem(-1));
            for (long k = 0; k < (long) threads * perThread; k++) {
                assertEquals(k + 1, m.getLong(m.lookupElem(k), 0));
            }
            runParallel(threads, t -> {
                for (long i = 0; i < perThread; i++) {
                    assertEquals(0, hm.deleteElem(i * threads + t));
                }
            });
            assertEquals(0, hm.count());
            assertTrue(walk(m).isEmpty());
        }
    }

    /**
     * Readers of {@code lookupLong} while two threads insert every key (a value published with its key), then while
     * they delete every key: each read is the key's own value or {@code missing}, never a state's or a neighbour's,
     * and each key's reads change once: a key seen present stays present while keys are inserted, one seen gone
     * stays gone while keys are deleted. No insert follows a delete, so no slot is reused under a reader (the one
     * case where a typed read may see another key's value).
     */
    @Test
    void lookupLongReadersSeeEachKeysOwnValueWhileOthersInsertThenDelete() throws InterruptedException {
        long[] key = new long[40_000];
        for (int i = 0; i < key.length; i++) {
            key[i] = i * 0x9E37_79B9_7F4A_7C15L; // spread over the table, neighbours in runs
        }
        for (int round = 0; round < 10; round++) {
            try (BpfMap m = hash(MapType.HASH, 8, 8, key.length)) {
                readWhileWriting(m, key, false);
                readWhileWriting(m, key, true);
            }
        }
    }

    /** Two writers insert (or delete) every key while two readers check each lookupLong; then every key is checked. */
    private static void readWhileWriting(BpfMap m, long[] key, boolean deleting) throws InterruptedException {
        int writers = 2;
        int keys = key.length;
        AtomicInteger finished = new AtomicInteger();
        runParallel(writers + 2, t -> {
            if (t < writers) {
                for (int i = t; i < keys; i += writers) {
                    assertEquals(0, deleting ? m.delete(k8(key[i])) : m.update(k8(key[i]), k8(i + 1), NOEXIST));
                }
                finished.incrementAndGet();
                return;
            }
            boolean[] changed = new boolean[keys]; // seen present (inserting) or gone (deleting)
            long reads = 0;
            while (finished.get() < writers || reads < keys) {
                int i = (int) (reads++ % keys);
                long v = m.lookupLong(key[i], 0, -1);
                if (v != -1 && v != i + 1) {
                    throw new AssertionError("key " + i + " read " + v);
                }
                boolean now = deleting ? v == -1 : v == i + 1;
                if (changed[i] && !now) {
                    throw new AssertionError("key " + i + " read " + v + " after it changed");
                }
                changed[i] |= now;
            }
        });
        for (int i = 0; i < keys; i++) {
            assertEquals(deleting ? -1 : i + 1, m.lookupLong(key[i], 0, -1), "key " + i);
        }
    }

    @Test
    void twoThreadsIncrementSharedKeysExactly() throws InterruptedException {
        int perThread = 5_000_000;
        int keys = 8;
        try (BpfMap m = hash(MapType.HASH, 8, 8, keys)) {
            runParallel(2, t -> {
                for (int i = 0; i < perThread; i++) {
                    if (m.incrementLong(i & (keys - 1), 0, 1) != 0) {
                        throw new AssertionError("increment failed");
                    }
                }
            });
            long sum = 0;
            for (long k = 0; k < keys; k++) {
                long v = m.getLong(m.lookupElem(k), 0);
                assertEquals(2L * perThread / keys, v, "key " + k);
                sum += v;
            }
            assertEquals(2L * perThread, sum);
        }
    }

    /** Both threads create each key at the same moment: one element per key, no increment lost. */
    @Test
    void racingFirstInsertsOfTheSameKeyMakeOneElement() throws InterruptedException {
        int n = 100_000;
        try (BpfMap m = hash(MapType.HASH, 8, 8, n)) {
            runParallel(2, t -> {
                for (long k = 0; k < n; k++) {
                    assertEquals(0, m.incrementLong(k, 0, 1));
                }
            });
            assertEquals(n, ((HashValueMap) m).count());
            for (long k = 0; k < n; k++) {
                assertEquals(2, m.getLong(m.lookupElem(k), 0), "key " + k);
            }
            assertEquals(n, walk(m).size());
        }
    }

    /** Two NOEXIST inserts of one key: exactly one wins and its value is the one stored. */
    @Test
    void racingNoexistInsertsHaveOneWinner() throws InterruptedException {
        int n = 100_000;
        try (BpfMap m = hash(MapType.HASH, 8, 8, n)) {
            AtomicLongArray winner = new AtomicLongArray(n);
            runParallel(2, t -> {
                for (int k = 0; k < n; k++) {
                    int r = m.update(k8(k), k8(t + 1), NOEXIST);
                    if (r == 0) {
                        assertEquals(0, winner.getAndSet(k, t + 1), "two winners for key " + k);
                    } else {
                        assertEquals(-Errno.EEXIST, r);
                    }
                }
            });
            byte[] v = new byte[8];
            for (int k = 0; k < n; k++) {
                assertTrue(winner.get(k) != 0, "no winner for key " + k);
                assertEquals(0, m.lookup(k8(k), v));
                assertEquals(winner.get(k), l8(v));
            }
        }
    }

    /** Threads insert and delete the same few keys: per key, successful inserts minus deletes is 0 or 1. */
    @Test
    void insertDeleteChurnNeverCountsAKeyTwice() throws InterruptedException {
        int keys = 16;
        int threads = 4;
        try (BpfMap m = hash(MapType.HASH, 8, 8, keys)) {
            AtomicLongArray balance = new AtomicLongArray(keys);
            runParallel(threads, t -> {
                java.util.SplittableRandom rnd = new java.util.SplittableRandom(t);
                byte[] v = new byte[8];
                for (int i = 0; i < 150_000; i++) {
                    int k = rnd.nextInt(keys);
                    switch (rnd.nextInt(3)) {
                        case 0:
                            if (m.update(k8(k), k8(k), NOEXIST) == 0) {
                                balance.incrementAndGet(k);
                            }
                            break;
                        case 1:
                            if (m.delete(k8(k)) == 0) {
                                balance.decrementAndGet(k);
                            }
                            break;
                        default:
                            int r = m.lookupAndDelete(k8(k), v);
                            if (r == 0) {
                                assertEquals(k, l8(v));
                                balance.decrementAndGet(k);
                            }
                    }
                }
            });
            Set<Long> present = walk(m);
            for (int k = 0; k < keys; k++) {
                long b = balance.get(k);
                assertTrue(b == 0 || b == 1, "key " + k + " balance " + b);
                assertEquals(b == 1, present.contains((long) k), "key " + k);
            }
            assertEquals(present.size(), ((HashValueMap) m).count());
        }
    }

    /** byte[] readers never see a value half old, half new, while writers rewrite, delete and re-insert it. */
    @Test
    void readersNeverSeeTornValues() throws InterruptedException {
        int words = 16;
        try (BpfMap m = hash(MapType.HASH, 8, 8 * words, 4)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong reads = new AtomicLong();
            runParallel(3, t -> {
                ByteBuffer b = ByteBuffer.allocate(8 * words).order(ByteOrder.LITTLE_ENDIAN);
                if (t < 2) {
                    for (long i = 1; i <= 200_000; i++) {
                        long x = i * 2 + t;
                        for (int w = 0; w < words; w++) {
                            b.putLong(8 * w, x);
                        }
                        assertEquals(0, m.update(k8(1), b.array(), ANY));
                        if (t == 1 && i % 64 == 0) {
                            m.delete(k8(1));
                        }
                    }
                    stop.set(true);
                } else {
                    byte[] v = new byte[8 * words];
                    while (!stop.get()) {
                        if (m.lookup(k8(1), v) == 0) {
                            ByteBuffer r = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
                            long first = r.getLong(0);
                            for (int w = 1; w < words; w++) {
                                assertEquals(first, r.getLong(8 * w), "torn value");
                            }
                            reads.incrementAndGet();
                        }
                    }
                }
            });
            assertTrue(reads.get() > 0);
            assertTrue(((HashValueMap) m).count() <= 1);
        }
    }

    @Test
    void lruChurnFromManyThreadsNeverFails() throws InterruptedException {
        int max = 1000;
        try (BpfMap m = hash(MapType.LRU_HASH, 8, 8, max)) {
            runParallel(4, t -> {
                java.util.SplittableRandom rnd = new java.util.SplittableRandom(t);
                for (int i = 0; i < 100_000; i++) {
                    long k = rnd.nextInt(20_000);
                    assertEquals(0, m.incrementLong(k, 0, 1));
                }
            });
            Set<Long> keys = walk(m);
            assertEquals(max, keys.size());
            assertEquals(max, ((HashValueMap) m).count());
        }
    }
}
