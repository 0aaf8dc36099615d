package dev.sonde.maps;

import static dev.sonde.maps.BpfMap.ANY;
import static dev.sonde.maps.BpfMap.EXIST;
import static dev.sonde.maps.BpfMap.NOEXIST;
import static dev.sonde.maps.HashMapTest.k8;
import static dev.sonde.maps.HashMapTest.l8;
import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** LRU_HASH: the scenarios of the kernel's test_lru_map.c that make sense without CPUs. */
class LruHashMapTest {
    static BpfMap lru(int maxEntries, long flags) {
        return Maps.create(MapSpec.builder(MapType.LRU_HASH).keySize(8).valueSize(8).maxEntries(maxEntries)
                .flags(flags).build());
    }

    static Set<Long> keys(BpfMap m) {
        Set<Long> keys = new HashSet<>();
        byte[] key = null;
        byte[] next = new byte[8];
        while (m.getNextKey(key, next) == 0) {
            assertTrue(keys.add(l8(next)), "each key once");
            key = next.clone();
        }
        return keys;
    }

    /** test_lru_sanity0: errnos, then a full map evicts the element that was not used, not the one looked up. */
    @ParameterizedTest
    @ValueSource(longs = {0, MapSpec.F_NO_COMMON_LRU})
    void sanity0(long flags) {
        // As the kernel's test: with per-shard LRUs the map gets 2 elements per shard, this thread's shard 2 of them.
        try (BpfMap m = lru(flags == 0 ? 2 : 2 * Maps.numShards(), flags)) {
            byte[] v = new byte[8];
            assertEquals(0, m.update(k8(1), k8(1234), NOEXIST));
            assertEquals(-Errno.EEXIST, m.update(k8(1), k8(1234), NOEXIST));
            assertEquals(-Errno.EINVAL, m.update(k8(1), k8(1234), -1));
            assertEquals(-Errno.ENOENT, m.lookup(k8(2), v));
            assertEquals(-Errno.ENOENT, m.update(k8(2), k8(1234), EXIST));
            assertEquals(0, m.update(k8(2), k8(1234), NOEXIST));
            assertEquals(-Errno.ENOENT, m.lookup(k8(3), v));
            long h = m.lookupElem(1); // the program-side lookup that sets the ref bit
            assertTrue(h >= 0);
            assertEquals(1234, m.getLong(h, 0));
            assertEquals(0, m.update(k8(3), k8(1234), NOEXIST), "a full LRU map evicts instead of E2BIG");
            assertEquals(-Errno.ENOENT, m.lookup(k8(2), v), "key 2 was the one not used");
            assertEquals(0, m.lookupAndDelete(k8(1), v));
            assertEquals(1234, l8(v));
            assertEquals(Set.of(3L), keys(m));
        }
    }

    /** test_lru_sanity1: of a full map, the half looked up survives inserting another half. */
    @Test
    void usedHalfSurvivesInsertingAnotherHalf() {
        int n = 64;
        try (BpfMap m = lru(n, 0)) {
            for (long k = 1; k <= n; k++) {
                assertEquals(0, m.update(k8(k), k8(k), NOEXIST));
            }
            for (long k = 1; k <= n / 2; k++) {
                assertTrue(m.lookupElem(k) >= 0);
            }
            for (long k = n + 1; k <= n + n / 2; k++) {
                assertEquals(0, m.update(k8(k), k8(k), NOEXIST));
            }
            Set<Long> expected = new HashSet<>();
            for (long k = 1; k <= n / 2; k++) {
                expected.add(k);
                expected.add(k + n);
            }
            assertEquals(expected, keys(m));
        }
    }

    /** test_lru_sanity2-like: a key updated in place stays, delete frees room without eviction. */
    @Test
    void deleteFreesRoomWithoutEviction() {
        try (BpfMap m = lru(4, 0)) {
            for (long k = 1; k <= 4; k++) {
                assertEquals(0, m.update(k8(k), k8(k), ANY));
            }
            assertEquals(0, m.delete(k8(2)));
            assertEquals(-Errno.ENOENT, m.delete(k8(2)));
            assertEquals(0, m.update(k8(5), k8(5), NOEXIST));
            assertEquals(Set.of(1L, 3L, 4L, 5L), keys(m), "the free slot was used, nothing evicted");
        }
    }

    @Test
    void neverE2big() {
        int max = 100;
        try (BpfMap m = lru(max, 0)) {
            for (long k = 0; k < 10_000; k++) {
                assertEquals(0, k % 2 == 0 ? m.update(k8(k), k8(k), NOEXIST) : m.incrementLong(k, 0, k));
                assertEquals(k, m.getLong(m.lookupElem(k), 0), "the key just inserted is there");
            }
            assertEquals(max, keys(m).size());
            assertEquals(max, ((HashValueMap) m).count());
        }
    }

    @Test
    void openedFromTheFileReadsWithoutTouching() {
        try (BpfMap m = lru(4, 0)) {
            assertEquals(0, m.incrementLong(9, 0, 3));
            try (BpfMap o = Maps.open(m.path())) {
                assertEquals(3, o.getLong(o.lookupElem(9), 0));
                // A present key is found, not marked used: the read-only mapping takes no store.
                assertEquals(3, o.getLong(o.lookupOrInitElem(9), 0));
                assertEquals(-Errno.EPERM, o.lookupOrInitElem(10), "a missing one would be an insert");
                assertEquals(-Errno.EPERM, o.update(k8(1), k8(1), ANY));
                assertEquals(Set.of(9L), keys(o));
            }
        }
    }

    /** Hot keys a program keeps looking up outlive a stream of cold inserts. */
    @Test
    void hotKeysSurviveColdChurn() {
        try (BpfMap m = lru(64, 0)) {
            for (long k = 0; k < 16; k++) {
                assertEquals(0, m.incrementLong(k, 0, 1));
            }
            for (long cold = 1000; cold < 5000; cold++) {
                assertEquals(0, m.incrementLong(cold, 0, 1));
                for (long k = 0; k < 16; k++) {
                    assertTrue(m.lookupElem(k) >= 0, "hot key " + k + " evicted at cold key " + cold);
                }
            }
        }
    }
}
