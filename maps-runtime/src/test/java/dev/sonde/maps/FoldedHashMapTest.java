package dev.sonde.maps;

import static dev.sonde.maps.BpfMap.ANY;
import static dev.sonde.maps.HashMapTest.hash;
import static dev.sonde.maps.HashMapTest.k4;
import static dev.sonde.maps.HashMapTest.k8;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * Format 3's three kinds of program lookup ({@link FoldedHashMap}): which map gets which, and that the fast ones
 * answer right for the keys they hand elsewhere (the side slots' keys, the key word 3) and for the bits they ignore.
 */
class FoldedHashMapTest {

    @Test
    void eachMapGetsTheLookupItsKeysAndOriginAllow() {
        try (BpfMap l = hash(MapType.HASH, 8, 8, 16, 0); BpfMap i = hash(MapType.HASH, 4, 8, 16, 0);
                BpfMap odd = hash(MapType.HASH, 3, 8, 16, 0)) {
            assertEquals(FoldedHashMap.LongKeys.class, l.getClass());
            assertEquals(FoldedHashMap.IntKeys.class, i.getClass());
            assertEquals(FoldedHashMap.Checked.class, odd.getClass());
            assertEquals(-Errno.EINVAL, odd.lookupElem(1), "typed keys are 4 or 8 bytes");
            try (BpfMap o = Maps.open(l.path())) {
                assertEquals(FoldedHashMap.Checked.class, o.getClass());
            }
        }
    }

    /**
     * Four slots an element (FoldedHashLayout.capacity), in the file's header and its size; a max_entries whose
     * table would pass what one file holds is refused with E2BIG, not wrapped around by int arithmetic.
     */
    @Test
    void aTableHasFourSlotsAnElementAndTooManyIsRefused() {
        assertEquals(8, FoldedHashLayout.capacity(1));
        assertEquals(4096, FoldedHashLayout.capacity(1024));
        assertEquals(8192, FoldedHashLayout.capacity(1025));
        assertEquals(1L << 33, FoldedHashLayout.capacity(Integer.MAX_VALUE));
        try (BpfMap m = hash(MapType.HASH, 8, 8, 1000, 0)) {
            assertEquals(4096, m.mem.getInt(FoldedHashLayout.CAPACITY_OFFSET));
            assertTrue(m.memoryBytes() >= MapHeaderLayout.DATA_OFFSET + FoldedHashLayout.dataAreaSize(4096));
            for (int k = 1; k <= 1000; k++) {
                assertEquals(0, m.update(k8(k), k8(-k), ANY));
            }
            assertEquals(-Errno.E2BIG, m.update(k8(1001), k8(0), ANY), "max_entries is 1000, not the slots");
        }
        for (int n : new int[] {1 << 26, 1 << 29, Integer.MAX_VALUE}) {
            SondeException e = assertThrows(SondeException.class, () -> hash(MapType.HASH, 8, 8, n, 0).close());
            assertEquals(Errno.E2BIG, e.errno(), e.getMessage());
        }
    }

    /** LongKeys hashes the key word itself, which holds only while fold is the hash's start: every new file. */
    @Test
    void anEightByteKeyFileFoldsWithTheHashStart() {
        for (long flags : new long[] {0, MapSpec.F_ZERO_SEED}) {
            try (BpfMap m = hash(MapType.HASH, 8, 8, 16, flags)) {
                long seed = m.mem.getLong(FoldedHashLayout.SEED_OFFSET);
                assertEquals(HashFunction.start(seed, 8), m.mem.getLong(FoldedHashLayout.FOLD_OFFSET));
            }
            try (BpfMap m = hash(MapType.HASH, 4, 8, 16, flags)) {
                assertTrue(m.mem.getLong(FoldedHashLayout.FOLD_OFFSET) < 0, "short keys: top bit set");
            }
        }
    }

    /**
     * The keys whose words are 0 to 3 (three live in side slots, one is ordinary but leaves the fast probe too) and
     * their neighbours, in a map kept full of colliding keys around them: every typed lookup matches the syscall
     * side and the opened view, before and after each is deleted.
     */
    @Test
    void keysAroundTheStatesAreFoundByEveryLookup() {
        try (BpfMap m = hash(MapType.HASH, 8, 8, 16, 0)) {
            long fold = m.mem.getLong(FoldedHashLayout.FOLD_OFFSET);
            long[] keys = {fold, fold ^ 1, fold ^ 2, fold ^ 3, fold ^ 4, ~fold, fold ^ Long.MIN_VALUE, 0, -1, 1};
            for (int j = 0; j < keys.length; j++) {
                assertEquals(0, m.update(k8(keys[j]), k8(100 + j), ANY));
            }
            for (int j = keys.length; j < 16; j++) { // the rest of the room, ordinary keys
                assertEquals(0, m.update(k8(j * 0x9E37_79B9L), k8(100 + j), ANY));
            }
            for (int gone = -1; gone < keys.length; gone++) {
                if (gone >= 0) {
                    assertEquals(0, m.delete(k8(keys[gone])));
                }
                try (BpfMap o = Maps.open(m.path())) {
                    for (int j = 0; j < keys.length; j++) {
                        long h = m.lookupElem(keys[j]);
                        long ho = o.lookupElem(keys[j]);
                        if (j <= gone) {
                            assertEquals(-Errno.ENOENT, h, "deleted key " + Long.toHexString(keys[j]));
                            assertEquals(-Errno.ENOENT, ho);
                            assertEquals(-7, m.lookupLong(keys[j], 0, -7));
                            assertEquals(-7, o.lookupLong(keys[j], 0, -7));
                        } else {
                            assertTrue(h >= 0, "key " + Long.toHexString(keys[j]) + " not found");
                            assertEquals(100 + j, m.getLong(h, 0));
                            assertEquals(100 + j, o.getLong(ho, 0));
                            assertEquals(100 + j, m.lookupLong(keys[j], 0, -7));
                            assertEquals(100 + j, o.lookupLong(keys[j], 0, -7));
                        }
                    }
                }
            }
        }
    }

    /** A 4-byte-key map's typed calls take the key's low half: the high half is not part of the key. */
    @Test
    void intKeysIgnoreTheHighHalf() {
        try (BpfMap m = hash(MapType.HASH, 4, 8, 16, 0)) {
            assertEquals(0, m.update(k4(-5), k8(7), ANY));
            assertEquals(0, m.update(k4(9), k8(11), ANY));
            assertEquals(7, m.getLong(m.lookupElem(-5), 0), "sign-extended");
            assertEquals(7, m.getLong(m.lookupElem(0xFFFF_FFFBL), 0), "zero-extended");
            assertEquals(11, m.getLong(m.lookupElem(0x1234_5678_0000_0009L), 0));
            assertEquals(-Errno.ENOENT, m.lookupElem(10));
            try (BpfMap o = Maps.open(m.path())) {
                assertEquals(7, o.getLong(o.lookupElem(-5), 0));
                assertEquals(11, o.getLong(o.lookupElem(0x1234_5678_0000_0009L), 0));
            }
        }
    }
}
