package dev.sonde.maps;

import static dev.sonde.maps.BpfMap.ANY;
import static dev.sonde.maps.BpfMap.EXIST;
import static dev.sonde.maps.BpfMap.NOEXIST;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** HASH: the hash scenarios of the kernel's test_maps.c, one test per errno path, typed accessors, reopening. */
class HashMapTest {
    static BpfMap hash(MapType type, int keySize, int valueSize, int maxEntries, long flags) {
        return Maps.create(MapSpec.builder(type).keySize(keySize).valueSize(valueSize).maxEntries(maxEntries)
                .flags(flags).build());
    }

    static byte[] k8(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    static long l8(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    static byte[] k4(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    static int i4(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    /** test_maps.c test_hashmap, step by step. */
    @Test
    void testHashmap() {
        try (BpfMap m = hash(MapType.HASH, 8, 8, 2, 0)) {
            byte[] v = new byte[8];
            assertEquals(0, m.update(k8(1), k8(1234), ANY));
            assertEquals(-Errno.EEXIST, m.update(k8(1), k8(0), NOEXIST));
            assertEquals(-Errno.EINVAL, m.update(k8(1), k8(0), -1));
            assertEquals(0, m.lookup(k8(1), v));
            assertEquals(1234, l8(v));
            assertEquals(0, m.update(k8(2), k8(1234), ANY));
            assertEquals(0, m.lookupAndDelete(k8(2), v));
            assertEquals(1234, l8(v));
            assertEquals(-Errno.ENOENT, m.lookup(k8(2), v));
            assertEquals(-Errno.ENOENT, m.update(k8(2), v, EXIST));
            assertEquals(0, m.update(k8(2), v, NOEXIST));
            assertEquals(-Errno.E2BIG, m.update(k8(0), v, NOEXIST));
            assertEquals(0, m.update(k8(1), v, EXIST), "update of a present key works in a full map");
            assertEquals(0, m.update(k8(2), v, ANY));
            assertEquals(-Errno.E2BIG, m.update(k8(3), v, NOEXIST));
            assertEquals(-Errno.ENOENT, m.delete(k8(0)));
            byte[] first = new byte[8];
            byte[] next = new byte[8];
            assertEquals(0, m.getNextKey(null, first));
            assertTrue(l8(first) == 1 || l8(first) == 2);
            assertEquals(0, m.getNextKey(k8(0), next), "a missing key restarts at the first");
            assertEquals(l8(first), l8(next));
            assertEquals(0, m.getNextKey(next, next));
            assertTrue((l8(next) == 1 || l8(next) == 2) && l8(next) != l8(first));
            assertEquals(-Errno.ENOENT, m.getNextKey(next, next));
            assertEquals(0, m.delete(k8(1)));
            assertEquals(0, m.delete(k8(2)));
            assertEquals(-Errno.ENOENT, m.delete(k8(2)));
            assertEquals(-Errno.ENOENT, m.getNextKey(null, next));
            assertEquals(-Errno.ENOENT, m.getNextKey(k8(0), next));
        }
    }

    @Test
    void updateFlagsAreCheckedFirst() {
        try (BpfMap m = hash(MapType.HASH, 8, 8, 1, 0)) {
            assertEquals(0, m.update(k8(1), k8(1), ANY));
            // On a full map and a missing key a bad flag still gives EINVAL, not E2BIG.
            assertEquals(-Errno.EINVAL, m.update(k8(2), k8(1), 3));
            assertEquals(-Errno.EINVAL, m.update(k8(2), k8(1), 8));
            assertEquals(-Errno.EINVAL, m.update(k8(1), k8(1), BpfMap.F_LOCK), "no spin lock in the value");
            assertEquals(-Errno.EINVAL, m.update(k8(1), k8(1), Long.MIN_VALUE));
        }
    }

    @Test
    void noexistOnPresentKeyIsEexist() {
        try (BpfMap m = hash(MapType.HASH, 8, 8, 4, 0)) {
            assertEquals(0, m.update(k8(7), k8(1), NOEXIST));
            assertEquals(-Errno.EEXIST, m.update(k8(7), k8(2), NOEXIST));
            byte[] v = new byte[8];
            assertEquals(0, m.lookup(k8(7), v));
            assertEquals(1, l8(v), "a failed NOEXIST leaves the value alone");
        }
    }

    @Test
    void existOnMissingKeyIsEnoent() {
        try (BpfMap m = hash(MapType.HASH, 8, 8, 4, 0)) {
            assertEquals(-Errno.ENOENT, m.update(k8(7), k8(1), EXIST));
            assertEquals(-Errno.ENOENT, m.lookup(k8(7), new byte[8]));
        }
    }

    @Test
    void insertIntoFullMapIsE2big() {
        try (BpfMap m = hash(MapType.HASH, 8, 8, 3, 0)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(0, m.update(k8(i), k8(i), ANY));
            }
            assertEquals(-Errno.E2BIG, m.update(k8(3), k8(3), ANY));
            assertEquals(-Errno.E2BIG, m.lookupOrInitElem(3));
            assertEquals(-Errno.E2BIG, m.incrementLong(3, 0, 1));
            assertEquals(0, m.delete(k8(0)));
            assertEquals(0, m.update(k8(3), k8(3), NOEXIST), "a delete frees room");
        }
    }

    @Test
    void deleteOfMissingKeyIsEnoent() {
        try (BpfMap m = hash(MapType.HASH, 8, 8, 3, 0)) {
            assertEquals(-Errno.ENOENT, m.delete(k8(1)));
            assertEquals(-Errno.ENOENT, m.lookupAndDelete(k8(1), new byte[8]));
        }
    }

    @Test
    void rdonlyAndWronlyRestrictTheSyscallSide() {
        try (BpfMap ro = hash(MapType.HASH, 8, 8, 3, MapSpec.F_RDONLY);
             BpfMap wo = hash(MapType.HASH, 8, 8, 3, MapSpec.F_WRONLY)) {
            assertEquals(-Errno.EPERM, ro.update(k8(1), k8(1), ANY));
            assertEquals(-Errno.EPERM, ro.delete(k8(1)));
            assertEquals(0, ro.incrementLong(1, 0, 5), "programs may still write");
            byte[] v = new byte[8];
            assertEquals(0, ro.lookup(k8(1), v));
            assertEquals(5, l8(v));
            assertEquals(0, wo.update(k8(1), k8(1), ANY));
            assertEquals(-Errno.EPERM, wo.lookup(k8(1), v));
            assertEquals(-Errno.EPERM, wo.getNextKey(null, v));
            assertEquals(-Errno.EPERM, wo.lookupAndDelete(k8(1), v));
        }
    }

    @Test
    void badSpecsThrowWithTheKernelErrno() {
        assertErrno(Errno.EINVAL, () -> hash(MapType.HASH, 0, 8, 2, 0));
        assertErrno(Errno.EINVAL, () -> hash(MapType.HASH, 8, 0, 2, 0));
        assertErrno(Errno.EINVAL, () -> hash(MapType.HASH, 8, 8, 0, 0));
        assertErrno(Errno.E2BIG, () -> hash(MapType.HASH, 513, 8, 2, 0));
        assertErrno(Errno.E2BIG, () -> hash(MapType.PERCPU_HASH, 8, 32769, 2, 0));
        assertErrno(Errno.EINVAL, () -> hash(MapType.HASH, 8, 8, 2, MapSpec.F_NO_COMMON_LRU));
        assertErrno(Errno.EINVAL, () -> hash(MapType.HASH, 8, 8, 2, MapSpec.F_MMAPABLE));
        assertErrno(Errno.EINVAL, () -> hash(MapType.HASH, 8, 8, 2, MapSpec.F_RDONLY | MapSpec.F_WRONLY));
        assertErrno(Errno.EINVAL, () -> hash(MapType.HASH, 8, 8, 2, MapSpec.F_RDONLY_PROG | MapSpec.F_WRONLY_PROG));
        assertErrno(Errno.ENOTSUPP, () -> hash(MapType.LRU_HASH, 8, 8, 2, MapSpec.F_NO_PREALLOC));
        assertErrno(Errno.E2BIG, () -> hash(MapType.HASH, 8, 1 << 20, 1 << 20, 0));
        long ok = MapSpec.F_NO_PREALLOC | MapSpec.F_ZERO_SEED | MapSpec.F_RDONLY_PROG;
        hash(MapType.HASH, 8, 8, 2, ok).close();
        hash(MapType.PERCPU_HASH, 8, 8, 2, ok).close();
        hash(MapType.LRU_HASH, 8, 8, 2, MapSpec.F_NO_COMMON_LRU | MapSpec.F_ZERO_SEED).close();
    }

    static void assertErrno(int errno, Runnable r) {
        SondeException e = assertThrows(SondeException.class, r::run);
        assertEquals(errno, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains(";"), "the message names a fix: " + e.getMessage());
    }

    @Test
    void wrongKeyOrValueLengthThrows() {
        try (BpfMap m = hash(MapType.HASH, 8, 8, 2, 0)) {
            assertErrno(Errno.EINVAL, () -> m.update(new byte[4], new byte[8], ANY));
            assertErrno(Errno.EINVAL, () -> m.lookup(new byte[8], new byte[7]));
            assertErrno(Errno.EINVAL, () -> m.getNextKey(null, new byte[9]));
        }
    }

    /** test_maps.c test_hashmap_sizes: key sizes 1..512 and value sizes up to 256 KiB by powers of two. */
    @Test
    void testHashmapSizes() {
        for (int i = 1; i <= 512; i <<= 1) {
            for (int j = 1; j <= 1 << 18; j <<= 2) {
                try (BpfMap m = hash(MapType.HASH, i, j, 2, 0)) {
                    byte[] key = new byte[i];
                    byte[] value = new byte[j];
                    key[i - 1] = 7;
                    value[j - 1] = 9;
                    assertEquals(0, m.update(key, value, NOEXIST));
                    byte[] back = new byte[j];
                    assertEquals(0, m.lookup(key, back));
                    assertEquals(9, back[j - 1]);
                    key[0] ^= 1;
                    assertEquals(-Errno.ENOENT, m.lookup(key, back), "key size " + i);
                }
            }
        }
    }

    static BpfMap fill(int maxEntries, long flags) {
        BpfMap m = hash(MapType.HASH, 8, 8, maxEntries, flags);
        for (long i = 0; i < maxEntries; i++) {
            assertEquals(0, m.update(k8(i), k8(i), NOEXIST));
        }
        return m;
    }

    /** test_maps.c test_hashmap_walk: walk, walk while updating each value, walk again. */
    @Test
    void testHashmapWalk() {
        int max = 256;
        try (BpfMap m = fill(max, 0)) {
            byte[] key = new byte[8];
            byte[] next = new byte[8];
            byte[] v = new byte[8];
            int i = 0;
            while (m.getNextKey(i == 0 ? null : key, next) == 0) {
                System.arraycopy(next, 0, key, 0, 8);
                assertEquals(0, m.lookup(key, v));
                i++;
            }
            assertEquals(max, i);
            assertEquals(0, m.getNextKey(null, key));
            boolean valid = true;
            for (i = 0; valid; i++) {
                valid = m.getNextKey(key, next) == 0;
                assertEquals(0, m.lookup(key, v));
                assertEquals(0, m.update(key, k8(l8(v) + 1), EXIST));
                System.arraycopy(next, 0, key, 0, 8);
            }
            assertEquals(max, i);
            Set<Long> seen = new HashSet<>();
            for (i = 0; m.getNextKey(i == 0 ? null : key, next) == 0; i++) {
                System.arraycopy(next, 0, key, 0, 8);
                assertEquals(0, m.lookup(key, v));
                assertEquals(l8(key), l8(v) - 1);
                assertTrue(seen.add(l8(key)), "each key once");
            }
            assertEquals(max, i);
        }
    }

    /** test_maps.c test_hashmap_zero_seed: two zero-seeded maps filled alike iterate alike. */
    @Test
    void testHashmapZeroSeed() {
        int max = 64;
        long flags = MapSpec.F_NO_PREALLOC | MapSpec.F_ZERO_SEED;
        try (BpfMap a = fill(max, flags); BpfMap b = fill(max, flags)) {
            byte[] key = null;
            byte[] ka = new byte[8];
            byte[] kb = new byte[8];
            for (int i = 0;; i++) {
                int ra = a.getNextKey(key, ka);
                int rb = b.getNextKey(key, kb);
                assertEquals(ra, rb);
                if (ra == -Errno.ENOENT) {
                    assertEquals(max, i);
                    break;
                }
                assertEquals(l8(ka), l8(kb));
                key = ka.clone();
            }
        }
    }

    @Test
    void typedAccessorsShareElementsWithByteCalls() {
        try (BpfMap m = hash(MapType.HASH, 8, 16, 8, 0)) {
            assertEquals(-Errno.ENOENT, m.lookupElem(42));
            long h = m.lookupOrInitElem(42);
            assertTrue(h >= 0);
            assertEquals(0, m.getLong(h, 0), "a new element is zeroed");
            assertEquals(h, m.lookupElem(42));
            m.putLong(h, 8, 77);
            assertEquals(0, m.incrementLong(42, 0, 5));
            assertEquals(0, m.incrementLong(42, 0, 5));
            byte[] v = new byte[16];
            assertEquals(0, m.lookup(k8(42), v));
            ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(10, b.getLong(0));
            assertEquals(77, b.getLong(8));
            assertEquals(0, m.update(k8(-5), v, NOEXIST));
            assertEquals(10, m.getLong(m.lookupElem(-5), 0), "the long key is the key's little-endian bytes");
            assertEquals(0, ((HashValueMap) m).deleteElem(42));
            assertEquals(-Errno.ENOENT, m.lookupElem(42));
            assertEquals(-Errno.ENOENT, ((HashValueMap) m).deleteElem(42));
        }
    }

    @Test
    void deletedSlotIsReusedAndZeroedOnInit() {
        try (BpfMap m = hash(MapType.HASH, 8, 8, 1, 0)) {
            for (long k = 0; k < 10_000; k++) {
                long h = m.lookupOrInitElem(k);
                assertTrue(h >= 0, "no room lost to deleted slots, key " + k);
                assertEquals(0, m.getLong(h, 0));
                m.putLong(h, 0, k + 1);
                assertEquals(0, m.delete(k8(k)));
            }
            assertEquals(-Errno.ENOENT, m.getNextKey(null, new byte[8]));
        }
    }

    /**
     * Format 2: probe bounds shrink back as keys go, so misses stay short however long the map has churned. (A
     * 16-byte value keeps the map on format 2; format 3's bounds only grow, FoldedHashLayout.)
     */
    @Test
    void probeBoundsShrinkWhenKeysGo() {
        try (BpfMap m = hash(MapType.HASH, 8, 16, 1000, 0)) {
            for (int round = 0; round < 20; round++) {
                for (long k = 0; k < 1000; k++) {
                    assertEquals(0, m.update(k8(round * 1000L + k), new byte[16], NOEXIST));
                }
                for (long k = 0; k < 1000; k++) {
                    assertEquals(0, m.delete(k8(round * 1000L + k)));
                }
            }
            ByteBuffer mem = m.mem;
            int capacity = mem.getInt(HashLayout.CAPACITY_OFFSET);
            int slotSize = mem.getInt(HashLayout.SLOT_SIZE_OFFSET);
            for (int i = 0; i < capacity; i++) {
                int off = MapHeaderLayout.DATA_OFFSET + i * slotSize;
                assertEquals(0, mem.getInt(off + HashLayout.BOUND_OFFSET), "bound of slot " + i);
                assertNotEquals(HashLayout.LIVE, mem.getLong(off) & HashLayout.STATE_MASK);
            }
        }
    }

    /**
     * Format 2: a writer that died mid-write (its WRITING bit stays set) makes waiting calls give up, never hang.
     * (A 16-byte value keeps the map on format 2.)
     */
    @Test
    void aSlotThatNeverSettlesGivesEbusy() {
        try (BpfMap m = hash(MapType.HASH, 8, 16, 4, 0)) {
            assertEquals(0, m.update(k8(5), new byte[16], ANY));
            long h = m.lookupElem(5);
            int off = (int) h - HashLayout.valueOffset(8);
            m.mem.putLong(off, m.mem.getLong(off) | HashLayout.WRITING); // as a crashed process would leave it
            assertEquals(-Errno.EBUSY, m.lookup(k8(5), new byte[16]));
            assertEquals(-Errno.EBUSY, m.lookupAndDelete(k8(5), new byte[16]));
            assertEquals(h, m.lookupElem(5), "typed lookups do not wait on byte[] writers");
            assertEquals(0, m.update(k8(6), new byte[16], ANY), "other keys are unaffected");
        }
    }

    @Test
    void fourByteKeysWorkTyped() {
        try (BpfMap m = hash(MapType.HASH, 4, 8, 16, 0)) {
            assertEquals(0, m.update(k4(-1), k8(3), ANY));
            assertEquals(3, m.getLong(m.lookupElem(0xFFFF_FFFFL), 0));
            assertEquals(0, m.incrementLong(12, 0, 2));
            byte[] v = new byte[8];
            assertEquals(0, m.lookup(k4(12), v));
            assertEquals(2, l8(v));
        }
        try (BpfMap m = hash(MapType.HASH, 16, 8, 16, 0)) {
            assertEquals(-Errno.EINVAL, m.lookupElem(1), "typed calls need a 4- or 8-byte key");
        }
    }

    @Test
    void manyKeysFillToExactlyMaxEntries() {
        int max = 10_000;
        try (BpfMap m = hash(MapType.HASH, 8, 8, max, 0)) {
            for (long k = 0; k < max; k++) {
                assertEquals(0, m.incrementLong(k * 0x1_0000_0001L, 0, k));
            }
            assertEquals(-Errno.E2BIG, m.incrementLong(-1, 0, 1));
            for (long k = 0; k < max; k++) {
                assertEquals(k, m.getLong(m.lookupElem(k * 0x1_0000_0001L), 0));
            }
            assertEquals(max, ((HashValueMap) m).count());
        }
    }

    @Test
    void metaEqualIgnoresMaxEntries() {
        try (BpfMap a = hash(MapType.HASH, 8, 8, 2, 0); BpfMap b = hash(MapType.HASH, 8, 8, 100, 0);
             BpfMap c = hash(MapType.HASH, 8, 16, 2, 0); BpfMap d = hash(MapType.HASH, 8, 8, 2, MapSpec.F_ZERO_SEED);
             BpfMap e = hash(MapType.LRU_HASH, 8, 8, 2, 0)) {
            assertTrue(a.metaEqual(b));
            assertFalse(a.metaEqual(c));
            assertFalse(a.metaEqual(d));
            assertFalse(a.metaEqual(e));
        }
    }

    /** Another process's view: Maps.open reads lookups and iteration from the file alone; writes are refused. */
    @Test
    void openedFileReadsWithoutTheCreator() {
        try (BpfMap m = hash(MapType.HASH, 8, 8, 100, 0)) {
            for (long k = 1; k <= 50; k++) {
                assertEquals(0, m.update(k8(k), k8(k * 10), ANY));
            }
            try (BpfMap o = Maps.open(m.path())) {
                assertEquals(MapType.HASH, o.type());
                byte[] v = new byte[8];
                assertEquals(0, o.lookup(k8(7), v));
                assertEquals(70, l8(v));
                assertEquals(70, o.getLong(o.lookupElem(7), 0));
                Set<Long> keys = new HashSet<>();
                byte[] key = null;
                byte[] next = new byte[8];
                while (o.getNextKey(key, next) == 0) {
                    assertTrue(keys.add(l8(next)));
                    key = next.clone();
                }
                assertEquals(50, keys.size());
                assertEquals(-Errno.EPERM, o.update(k8(1), v, ANY));
                assertEquals(-Errno.EPERM, o.delete(k8(1)));
                assertEquals(-Errno.EPERM, o.lookupOrInitElem(99));
                assertEquals(0, m.update(k8(7), k8(71), ANY));
                assertEquals(0, o.lookup(k8(7), v));
                assertEquals(71, l8(v), "the opened view sees the creator's later writes");
            }
        }
    }

    /**
     * Small maps run full with keys that collide, through inserts and deletes, so that probe runs wrap and fill with
     * deleted slots: every typed lookup (the programs' path, which on format 3 reads the home's bound only at a slot
     * in a state) finds exactly the present keys, in this JVM and through a read-only view of the file.
     */
    @Test
    void typedLookupsMatchAModelThroughChurn() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(19);
        for (int round = 0; round < 12; round++) {
            int max = 8 + rnd.nextInt(24);
            try (BpfMap m = hash(MapType.HASH, 8, 8, max, 0)) {
                java.util.Map<Long, Long> model = new java.util.HashMap<>();
                for (int op = 0; op < 10_000; op++) {
                    long key = rnd.nextInt(3 * max) * 0x9E37_79B9L;
                    switch (rnd.nextInt(3)) {
                        case 0 -> {
                            long value = rnd.nextLong();
                            int r = m.update(k8(key), k8(value), ANY);
                            assertEquals(model.containsKey(key) || model.size() < max ? 0 : -Errno.E2BIG, r);
                            if (r == 0) {
                                model.put(key, value);
                            }
                        }
                        case 1 -> {
                            assertEquals(model.containsKey(key) ? 0 : -Errno.ENOENT, m.delete(k8(key)));
                            model.remove(key);
                        }
                        default -> {
                            long h = m.lookupElem(key);
                            if (model.containsKey(key)) {
                                assertTrue(h >= 0, "present key " + key + " not found");
                                assertEquals(model.get(key), m.getLong(h, 0));
                            } else {
                                assertEquals(-Errno.ENOENT, h, "absent key " + key);
                            }
                        }
                    }
                }
                try (BpfMap o = Maps.open(m.path())) {
                    for (int k = 0; k < 3 * max; k++) {
                        long key = k * 0x9E37_79B9L;
                        long h = o.lookupElem(key);
                        assertEquals(model.containsKey(key), h >= 0, "the read-only view, key " + key);
                        if (h >= 0) {
                            assertEquals(model.get(key), o.getLong(h, 0));
                        }
                    }
                }
            }
        }
    }
}
