package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Hash format 3 ({@link FoldedHashLayout}): the kernel's update, delete and iteration rules, and its concurrency. */
class FoldedHashTableTest {
    private static FoldedHashTable table(int keySize, int valueSize, int maxEntries, long seed) {
        return new FoldedHashTable(memory(keySize, valueSize, maxEntries, seed), keySize, valueSize, maxEntries);
    }

    private static ByteBuffer memory(int keySize, int valueSize, int maxEntries, long seed) {
        int capacity = (int) FoldedHashLayout.capacity(maxEntries);
        ByteBuffer mem = ByteBuffer.allocateDirect((int) (MapHeaderLayout.DATA_OFFSET
                + FoldedHashLayout.dataAreaSize(capacity))).order(ByteOrder.LITTLE_ENDIAN);
        FoldedHashTable.format(mem, keySize, valueSize, maxEntries, seed);
        return mem;
    }

    private static long get(FoldedHashTable t, long key) {
        long[] out = new long[1];
        int r = t.lookup(key, out);
        return r == 0 ? out[0] : r;
    }

    @Test
    void updateFlagsAndDeleteFollowTheKernel() {
        FoldedHashTable t = table(8, 8, 4, 42);
        assertTrue(t.update(10, 100, BpfMap.NOEXIST, false) >= 0);
        assertEquals(-Errno.EEXIST, t.update(10, 101, BpfMap.NOEXIST, false));
        assertEquals(-Errno.ENOENT, t.update(11, 110, BpfMap.EXIST, false));
        assertTrue(t.update(10, 102, BpfMap.EXIST, false) >= 0);
        assertEquals(102, get(t, 10));
        assertTrue(t.update(11, 110, BpfMap.ANY, false) >= 0);
        assertTrue(t.update(12, 120, BpfMap.ANY, false) >= 0);
        assertTrue(t.update(13, 130, BpfMap.ANY, false) >= 0);
        assertEquals(-Errno.E2BIG, t.update(14, 140, BpfMap.ANY, false));
        assertTrue(t.update(13, 131, BpfMap.ANY, false) >= 0, "replacing a present key needs no room");
        assertEquals(4, t.count());
        assertEquals(0, t.delete(12, null));
        assertEquals(-Errno.ENOENT, t.delete(12, null));
        assertEquals(-Errno.ENOENT, (int) get(t, 12));
        assertTrue(t.update(14, 140, BpfMap.NOEXIST, false) >= 0, "a delete gives the room back");
        long[] out = new long[1];
        assertEquals(0, t.delete(14, out));
        assertEquals(140, out[0], "lookupAndDelete's value");
        assertEquals(3, t.count());
    }

    @Test
    void lookupOrInitInsertsZeroAndLeavesAPresentValue() {
        FoldedHashTable t = table(8, 8, 8, 1);
        int off = t.update(5, 0, BpfMap.ANY, true);
        assertTrue(off >= 0);
        assertEquals(0, get(t, 5));
        t.update(5, 55, BpfMap.ANY, false);
        assertEquals(off, t.update(5, 0, BpfMap.ANY, true));
        assertEquals(55, get(t, 5));
        assertEquals(off, t.findLong(5));
    }

    @Test
    void getNextKeyVisitsEveryKeyOnceAndRestartsFromAKeyThatIsGone() {
        FoldedHashTable t = table(8, 8, 64, 7);
        Set<Long> keys = new HashSet<>();
        for (long k = 0; k < 40; k++) {
            long key = k * 0x1_0000_0001L;
            t.update(key, k, BpfMap.NOEXIST, false);
            keys.add(key);
        }
        List<Long> seen = walk(t);
        assertEquals(keys.size(), seen.size());
        assertEquals(keys, new HashSet<>(seen));
        long[] out = new long[1];
        assertEquals(0, t.getNextKey(true, 0x7777_7777_7777L, out), "a missing key restarts at the first");
        assertEquals(seen.get(0), out[0]);
        assertEquals(-Errno.ENOENT, t.getNextKey(true, seen.get(seen.size() - 1), out));
        assertEquals(-Errno.ENOENT, table(8, 8, 4, 0).getNextKey(false, 0, out), "an empty map");
    }

    private static List<Long> walk(FoldedHashTable t) {
        List<Long> seen = new ArrayList<>();
        long[] out = new long[1];
        boolean has = false;
        long key = 0;
        while (t.getNextKey(has, key, out) == 0) {
            key = out[0];
            has = true;
            seen.add(key);
        }
        return seen;
    }

    @Test
    void theKeysWhoseWordWouldReadAsAStateLiveInTheSideSlots() {
        ByteBuffer mem = memory(8, 8, 8, 99);
        FoldedHashTable t = new FoldedHashTable(mem, 8, 8, 8);
        long fold = mem.getLong(FoldedHashLayout.FOLD_OFFSET);
        long[] odd = {fold, fold ^ 1, fold ^ 2};
        for (int i = 0; i < odd.length; i++) {
            assertTrue(t.update(odd[i], 1000 + i, BpfMap.NOEXIST, false) >= 0);
            assertEquals(-Errno.EEXIST, t.update(odd[i], 0, BpfMap.NOEXIST, false));
        }
        assertTrue(t.update(fold ^ 3, 3, BpfMap.NOEXIST, false) >= 0, "fold ^ 3 is an ordinary key");
        for (int i = 0; i < odd.length; i++) {
            assertEquals(1000 + i, get(t, odd[i]));
        }
        assertEquals(4, t.count());
        assertEquals(Set.of(odd[0], odd[1], odd[2], fold ^ 3), new HashSet<>(walk(t)));
        assertEquals(0, t.delete(odd[1], null));
        assertEquals(-Errno.ENOENT, (int) get(t, odd[1]));
        assertEquals(Set.of(odd[0], odd[2], fold ^ 3), new HashSet<>(walk(t)));
        assertEquals(3, t.count());
    }

    @Test
    void shortKeysAndValuesAreMaskedToTheirSize() {
        FoldedHashTable t = table(4, 2, 8, 3);
        assertTrue(t.update(0xFFFF_FFFF_0000_0001L, 0x12345, BpfMap.ANY, false) >= 0);
        assertEquals(0x2345, get(t, 1), "the key's upper bytes and the value's are not the map's");
        assertEquals(-Errno.EEXIST, t.update(0x1_0000_0001L, 0, BpfMap.NOEXIST, false));
        long[] out = new long[1];
        assertEquals(0, t.getNextKey(false, 0, out));
        assertEquals(1, out[0]);
    }

    @Test
    void aRandomSequenceOfCallsMatchesAModelMap() {
        // A small table run full, so that probe runs collide, wrap and fill with DELETED slots.
        SplittableRandom rnd = new SplittableRandom(5);
        for (int round = 0; round < 20; round++) {
            int max = 8 + rnd.nextInt(24);
            FoldedHashTable t = table(8, 8, max, rnd.nextLong());
            Map<Long, Long> model = new HashMap<>();
            for (int op = 0; op < 20_000; op++) {
                long key = rnd.nextInt(3 * max) * 0x9E37_79B9L;
                long value = rnd.nextLong();
                switch (rnd.nextInt(4)) {
                    case 0: {
                        long flags = rnd.nextInt(3);
                        boolean present = model.containsKey(key);
                        int expect = flags == BpfMap.NOEXIST && present ? -Errno.EEXIST
                                : flags == BpfMap.EXIST && !present ? -Errno.ENOENT
                                : !present && model.size() >= max ? -Errno.E2BIG : 0;
                        int r = t.update(key, value, flags, false);
                        assertEquals(expect, Math.min(r, 0), "update " + key + " flags " + flags);
                        if (expect == 0) {
                            model.put(key, value);
                        }
                        break;
                    }
                    case 1:
                        assertEquals(model.containsKey(key) ? 0 : -Errno.ENOENT, t.delete(key, null));
                        model.remove(key);
                        break;
                    default:
                        assertEquals(model.getOrDefault(key, (long) -Errno.ENOENT), get(t, key));
                        assertEquals(model.containsKey(key), t.findLong(key) >= 0);
                }
            }
            assertEquals(model.size(), t.count());
            assertEquals(model.keySet(), new HashSet<>(walk(t)));
        }
    }

    /**
     * A writer that stays inside its home's lock (only one killed with the file mapped does): the writers of keys of
     * that home give -EBUSY after the give-up time instead of hanging; lookups never wait, and keys of other homes
     * are untouched.
     */
    @Test
    void aHomeLockThatStaysTakenGivesEbusyAndLookupsGoOn() {
        long seed = 77;
        ByteBuffer mem = memory(8, 8, 16, seed);
        FoldedHashTable t = new FoldedHashTable(mem, 8, 8, 16);
        assertTrue(t.update(40, 400, BpfMap.ANY, false) >= 0);
        int capacity = t.capacity();
        int shift = Long.numberOfLeadingZeros(capacity) + 1;
        int home = (int) (HashFunction.fibChunk(HashFunction.start(seed, 8), 40) >>> shift);
        int lockWord = FoldedHashLayout.boundsOffset(capacity) + home * 4;
        mem.putInt(lockWord, mem.getInt(lockWord) | FoldedHashLayout.LOCK); // as a writer killed inside leaves it
        assertEquals(-Errno.EBUSY, t.update(40, 401, BpfMap.ANY, false));
        assertEquals(-Errno.EBUSY, t.delete(40, null));
        assertEquals(400, get(t, 40), "lookups take no lock");
        long other = 41;
        while ((int) (HashFunction.fibChunk(HashFunction.start(seed, 8), other) >>> shift) == home) {
            other++;
        }
        assertTrue(t.update(other, 1, BpfMap.NOEXIST, false) >= 0, "another home's writers are untouched");
        mem.putInt(lockWord, mem.getInt(lockWord) & ~FoldedHashLayout.LOCK);
        assertEquals(0, t.delete(40, null));
    }

    @Test
    void aDamagedTableIsRefusedWithTheFix() {
        ByteBuffer mem = memory(8, 8, 8, 1);
        mem.putInt(FoldedHashLayout.CAPACITY_OFFSET, 1 << 20);
        SondeException e = assertThrows(SondeException.class, () -> new FoldedHashTable(mem, 8, 8, 8));
        assertTrue(e.getMessage().contains("recreate the map"), e.getMessage());
        ByteBuffer other = memory(8, 8, 8, 1);
        assertThrows(SondeException.class, () -> new FoldedHashTable(other, 4, 8, 8), "another key size");
    }

    /**
     * A file whose every slot holds a live key word, which no Sonde writer leaves (live keys are under half the
     * slots): a view opened from it answers lookups of absent keys with -ENOENT instead of probing forever.
     */
    @Test
    void aFileWithNoFreeSlotStillAnswersALookup() {
        try (BpfMap m = Maps.create(MapSpec.builder(MapType.HASH).keySize(8).valueSize(8).maxEntries(8).build())) {
            assertEquals(FoldedHashMap.LongKeys.class, m.getClass());
            int capacity = m.mem.getInt(FoldedHashLayout.CAPACITY_OFFSET);
            for (int i = 0; i < capacity; i++) { // as damage would leave them: live key words, the widest bounds
                m.mem.putLong(FoldedHashLayout.slotOffset(i), 0x1000 + i);
                m.mem.putInt(FoldedHashLayout.boundsOffset(capacity) + 4 * i, FoldedHashLayout.BOUND_MASK);
            }
            try (BpfMap o = Maps.open(m.path())) {
                assertEquals(FoldedHashMap.Checked.class, o.getClass(), "an opened file takes the bounded probe");
                // Preemptively: a probe that never ends must fail the test, not hang the build.
                assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                    assertEquals(-Errno.ENOENT, o.lookupElem(42));
                    assertEquals(-Errno.ENOENT, o.lookup(HashMapTest.k8(42), new byte[8]));
                });
            }
        }
    }

    /**
     * Threads insert (NOEXIST), delete and look up the same few keys at once. Every value carries its key, so a
     * lookup that returned another key's value (a slot deleted and reused under it) is caught; and per key, the
     * successful inserts minus the successful deletes must come to 1 if the key is there at the end and 0 if not,
     * which two NOEXIST inserts of one key that both succeeded would break.
     */
    @Test
    void concurrentInsertsDeletesAndLookupsNeverDuplicateOrMixUpKeys() throws Exception {
        int threads = 4;
        int keys = 24;
        int max = 16; // fewer than the keys: inserts also meet E2BIG
        ByteBuffer mem = memory(8, 8, max, 11);
        long fold = mem.getLong(FoldedHashLayout.FOLD_OFFSET);
        FoldedHashTable t = new FoldedHashTable(mem, 8, 8, max);
        long[] keyOf = new long[keys];
        for (int i = 0; i < keys; i++) {
            keyOf[i] = i < 2 ? fold ^ i : i * 0x10001L; // two side-slot keys among them
        }
        AtomicLong[] net = new AtomicLong[keys];
        for (int i = 0; i < keys; i++) {
            net[i] = new AtomicLong();
        }
        AtomicReference<String> failure = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
            long seed = w;
            Thread th = new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                long[] out = new long[1];
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int op = 0; op < 400_000 && failure.get() == null; op++) {
                    int i = rnd.nextInt(keys);
                    long key = keyOf[i];
                    switch (rnd.nextInt(3)) {
                        case 0:
                            if (t.update(key, (long) i << 32 | (op & 0xFFFF_FFFFL), BpfMap.NOEXIST, false) >= 0) {
                                net[i].incrementAndGet();
                            }
                            break;
                        case 1:
                            if (t.delete(key, null) == 0) {
                                net[i].decrementAndGet();
                            }
                            break;
                        default:
                            if (t.lookup(key, out) == 0 && out[0] >>> 32 != i) {
                                failure.compareAndSet(null, "key " + i + " read the value of key " + (out[0] >>> 32));
                            }
                    }
                }
            });
            workers.add(th);
            th.start();
        }
        go.countDown();
        for (Thread th : workers) {
            th.join();
        }
        assertEquals(null, failure.get());
        List<Long> present = walk(t);
        assertEquals(present.size(), new HashSet<>(present).size(), "a key iterated twice");
        assertEquals(present.size(), t.count());
        for (int i = 0; i < keys; i++) {
            assertEquals(present.contains(keyOf[i]) ? 1 : 0, net[i].get(), "inserts minus deletes of key " + i);
        }
    }
}
