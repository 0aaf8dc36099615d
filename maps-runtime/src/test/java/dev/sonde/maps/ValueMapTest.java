package dev.sonde.maps;

import static dev.sonde.maps.TestMaps.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The typed accessors of arrays and hashes read and write map memory unchecked ({@link HotMemory}) once they have
 * checked the handle and offset: a made-up or errno handle, an offset past the file, a misaligned atomic or a write
 * to a map opened read-only throws before any memory is touched. Without the checks these would write past the
 * mapping or into a read-only one (a crash on the raw path, JDK 17-23), or quietly succeed.
 */
class ValueMapTest {
    /** 512 8-byte elements fill the data area exactly: element 511 ends where the file ends. */
    private static final int ENTRIES = 512;

    @Test
    void arrayAccessorsRefuseFieldsOutsideTheFile() {
        try (BpfMap m = Maps.create(array("vm_arr", 8, ENTRIES).build())) {
            long first = m.lookupElem(0);
            long last = m.lookupElem(ENTRIES - 1);
            assertEquals(m.memoryBytes() - 8, last, "the last element ends at the end of the file");
            assertEquals(0, m.addLong(last, 0, 5));
            assertEquals(5, m.getLong(last, 0));
            m.putInt(last, 4, 7);
            assertEquals(7, m.getInt(last, 4), "the file's last aligned int");

            int pastEnd = (int) (m.memoryBytes() - last);
            long[][] outside = {
                {last, 8}, {last, 4096}, {-Errno.ENOENT, 0}, {first, -8}, {first, -MapHeaderLayout.DATA_OFFSET},
                {first, Integer.MAX_VALUE}, {first, Integer.MIN_VALUE}, {Long.MAX_VALUE, 0}, {Integer.MIN_VALUE, 8},
            };
            for (long[] bad : outside) {
                assertAllRefused(m, bad[0], (int) bad[1]);
            }
            assertRefused(() -> m.getLong(last, 4), last, 4); // 8 bytes from the last int on: 4 past the end
            assertRefused(() -> m.getInt(last, 8), last, 8);
            // Atomic and opaque accesses need aligned fields; plain reads do not, as with the byte-buffer accesses.
            assertRefused(() -> m.addLong(first, 4, 1), first, 4);
            assertRefused(() -> m.putLong(first, 1, 1), first, 1);
            assertRefused(() -> m.addInt(first, 2, 1), first, 2);
            assertEquals(0, m.getLong(first, 4));
            assertRefused(() -> m.incrementLong(ENTRIES - 1, pastEnd, 1), last, pastEnd);

            for (int i = 0; i < ENTRIES - 1; i++) {
                assertEquals(0, m.getLong(m.lookupElem(i), 0), "element " + i + " untouched");
            }
            assertEquals(7L << 32 | 5, m.getLong(last, 0), "nothing but the two good writes landed");
        }
    }

    /**
     * {@code lookupLong} reads what {@code lookupElem} and {@code getLong} read, on every kind of map: the fast
     * probes of format 3 (8- and 4-byte keys, values of 8 and 4 bytes), format 2, per-shard and LRU maps, arrays at
     * an offset, a view opened read-only; {@code missing} where lookupElem gives an errno, and getLong's refusal of
     * an offset outside the file.
     */
    @Test
    void lookupLongReadsWhatLookupAndGetLongRead() {
        MapSpec[] specs = {
            hashSpec(MapType.HASH, 8, 8), hashSpec(MapType.HASH, 8, 4), hashSpec(MapType.HASH, 4, 8),
            hashSpec(MapType.HASH, 8, 16), hashSpec(MapType.HASH, 16, 8), hashSpec(MapType.PERCPU_HASH, 8, 8),
            hashSpec(MapType.LRU_HASH, 8, 8), array("vm_ll_arr", 16, 64).build(),
            MapSpec.builder(MapType.PERCPU_ARRAY).name(name("vm_ll_pca")).keySize(4).valueSize(8).maxEntries(64)
                    .build(),
        };
        for (MapSpec spec : specs) {
            try (BpfMap m = Maps.create(spec); BpfMap o = Maps.open(m.path())) {
                boolean array = spec.type() == MapType.ARRAY || spec.type() == MapType.PERCPU_ARRAY;
                for (int i = 0; i < 40; i++) {
                    long key = array ? i : i * 0x9E37_79B9_7F4A_7C15L;
                    long h = m.lookupOrInitElem(key);
                    if (h >= 0) {
                        m.putInt(h, 0, 1000 + i); // a 4-byte value's whole value; the low half of a wider one
                        if (spec.valueSize() >= 16) {
                            m.putLong(h, 8, 2000 + i);
                        }
                    }
                }
                for (int i = 0; i < 80; i++) { // the 40 keys written, then 40 never written (or past the end)
                    long key = array ? i : i * 0x9E37_79B9_7F4A_7C15L;
                    for (BpfMap v : new BpfMap[] {m, o}) {
                        for (int offset : spec.valueSize() >= 16 ? new int[] {0, 8} : new int[] {0}) {
                            long h = v.lookupElem(key);
                            long expected = h < 0 ? -7 : v.getLong(h, offset);
                            assertEquals(expected, v.lookupLong(key, offset, -7), spec + " key " + i + " offset "
                                    + offset + (v == o ? " (opened)" : ""));
                        }
                    }
                }
                long present = m.lookupElem(0);
                if (present >= 0) {
                    int pastEnd = (int) (m.memoryBytes() - present);
                    assertRefused(() -> m.lookupLong(0, pastEnd, -7), present, pastEnd);
                }
            }
        }
        try (BpfMap ring = Maps.create(MapSpec.builder(MapType.RINGBUF).name(name("vm_ll_rb")).maxEntries(4096)
                .build())) {
            assertEquals(-7, ring.lookupLong(0, 0, -7), "a ring has no elements: lookupElem's -ENOTSUPP");
        }
    }

    private static MapSpec hashSpec(MapType type, int keySize, int valueSize) {
        return MapSpec.builder(type).name(name("vm_ll")).keySize(keySize).valueSize(valueSize).maxEntries(64).build();
    }

    @Test
    void hashAccessorsRefuseFieldsOutsideTheFile() {
        MapSpec spec = MapSpec.builder(MapType.HASH).name(name("vm_hash")).keySize(8).valueSize(8).maxEntries(64)
                .build();
        try (BpfMap m = Maps.create(spec)) {
            assertEquals(0, m.incrementLong(42, 0, 3));
            long h = m.lookupElem(42);
            assertEquals(3, m.getLong(h, 0));
            int pastEnd = (int) (m.memoryBytes() - h);
            assertAllRefused(m, h, pastEnd);
            assertAllRefused(m, h, (int) -h); // the map's header page
            assertAllRefused(m, m.lookupElem(43), 0); // -ENOENT
            assertRefused(() -> m.incrementLong(42, pastEnd, 1), h, pastEnd);
            assertRefused(() -> m.incrementLong(42, 3, 1), h, 3);
            assertEquals(3, m.getLong(h, 0));
            assertEquals(0, m.incrementLong(42, 0, 1));
            assertEquals(4, m.getLong(h, 0));
        }
    }

    @Test
    void aMapOpenedReadOnlyRefusesTypedWritesAndStillReads() {
        try (BpfMap m = Maps.create(array("vm_ro", 8, 4).build())) {
            assertEquals(0, m.addLong(m.lookupElem(2), 0, 9));
            try (BpfMap o = Maps.open(m.path())) {
                long h = o.lookupElem(2);
                assertEquals(9, o.getLong(h, 0));
                assertEquals(9, o.getInt(h, 0));
                for (Executable write : new Executable[] {
                    () -> o.putLong(h, 0, 1), () -> o.putInt(h, 0, 1), () -> o.addLong(h, 0, 1), () -> o.addInt(h, 0, 1),
                    () -> o.incrementLong(2, 0, 1)}) {
                    SondeException e = assertThrows(SondeException.class, write);
                    assertEquals(Errno.EPERM, e.errno());
                    assertTrue(e.getMessage().contains("read-only"), e.getMessage());
                }
            }
            assertEquals(9, m.getLong(m.lookupElem(2), 0));
        }
    }

    @Test
    void aHashTableWhoseControlWordsReachPastTheFileIsRefused() {
        ByteBuffer b = ByteBuffer.allocateDirect(MapHeaderLayout.DATA_OFFSET + 8 * 32).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(HashLayout.HASH_ALGO_OFFSET, HashLayout.HASH_ALGO_FIB64_V2)
                .putInt(HashLayout.CAPACITY_OFFSET, 8).putInt(HashLayout.SLOT_SIZE_OFFSET, 32)
                .putInt(HashLayout.KEY_OFFSET_OFFSET, HashLayout.KEY_OFFSET)
                .putInt(HashLayout.VALUE_OFFSET_OFFSET, HashLayout.valueOffset(8));
        assertEquals(HashTable.NOT_FOUND, new HashTable(b, 8, 4, false, 0).findLong(1), "8 slots of 32 bytes fit");
        b.putInt(HashLayout.CAPACITY_OFFSET, 1 << 20); // lookups would read up to 32 MiB past this buffer
        SondeException e = assertThrows(SondeException.class, () -> new HashTable(b, 8, 4, false, 0));
        assertTrue(e.getMessage().contains("recreate the map"), e.getMessage());
        b.putInt(HashLayout.CAPACITY_OFFSET, 6); // not a power of two: idx & mask would miss slots
        assertThrows(SondeException.class, () -> new HashTable(b, 8, 4, false, 0));
        b.putInt(HashLayout.CAPACITY_OFFSET, 8).putInt(HashLayout.SLOT_SIZE_OFFSET, 16); // keys past the slot
        assertThrows(SondeException.class, () -> new HashTable(b, 8, 4, false, 0));
        b.putInt(HashLayout.SLOT_SIZE_OFFSET, 32).putInt(HashLayout.HASH_ALGO_OFFSET, 3); // a later Sonde's hash
        e = assertThrows(SondeException.class, () -> new HashTable(b, 8, 4, false, 0));
        assertTrue(e.getMessage().contains("hash algorithm 3"), e.getMessage());
    }

    private static void assertAllRefused(BpfMap m, long handle, int offset) {
        assertRefused(() -> m.getLong(handle, offset), handle, offset);
        assertRefused(() -> m.getInt(handle, offset), handle, offset);
        assertRefused(() -> m.putLong(handle, offset, -1L), handle, offset);
        assertRefused(() -> m.putInt(handle, offset, -1), handle, offset);
        assertRefused(() -> m.addLong(handle, offset, 1), handle, offset);
        assertRefused(() -> m.addInt(handle, offset, 1), handle, offset);
    }

    private static void assertRefused(Executable access, long handle, int offset) {
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, access,
                "handle " + handle + " offset " + offset);
        assertTrue(e.getMessage().contains("pass a handle lookupElem returned"), e.getMessage());
    }
}
