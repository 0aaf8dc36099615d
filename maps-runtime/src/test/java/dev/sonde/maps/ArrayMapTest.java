package dev.sonde.maps;

import static dev.sonde.maps.TestMaps.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The array scenarios of the kernel's {@code tools/testing/selftests/bpf/test_maps.c} ({@code test_arraymap},
 * {@code test_arraymap_percpu}, {@code test_arraymap_percpu_many_keys}), then one test per errno path.
 */
class ArrayMapTest {

    @Test
    void testArraymap() {
        try (BpfMap m = Maps.create(array("arr", 8, 2).build())) {
            byte[] v = new byte[8];
            assertEquals(0, m.update(key(1), longs(1234), BpfMap.ANY));
            assertEquals(-Errno.EEXIST, m.update(key(1), longs(0), BpfMap.NOEXIST));
            assertEquals(0, m.lookup(key(1), v));
            assertEquals(1234, longAt(v, 0));
            assertEquals(0, m.lookup(key(0), v), "key 0 exists, zero-initialised");
            assertEquals(0, longAt(v, 0));
            assertEquals(-Errno.E2BIG, m.update(key(2), v, BpfMap.EXIST), "max_entries is 2");
            assertEquals(-Errno.ENOENT, m.lookup(key(2), v));

            byte[] next = new byte[4];
            assertEquals(0, m.getNextKey(null, next));
            assertEquals(0, keyOf(next));
            assertEquals(0, m.getNextKey(key(2), next), "an out-of-range key restarts at 0");
            assertEquals(0, keyOf(next));
            assertEquals(0, m.getNextKey(next, next));
            assertEquals(1, keyOf(next));
            assertEquals(-Errno.ENOENT, m.getNextKey(next, next));

            assertEquals(-Errno.EINVAL, m.delete(key(1)));
        }
    }

    @Test
    void testArraymapPercpu() {
        try (ArrayMap m = (ArrayMap) Maps.create(percpu("pcpu", 8, 2).build())) {
            int shards = m.shards();
            assertEquals(Maps.numShards(), shards);
            assertEquals(shards * 8, m.valueBufferSize());
            long[] vals = new long[shards];
            for (int i = 0; i < shards; i++) {
                vals[i] = i + 100;
            }
            byte[] values = longs(vals);
            assertEquals(0, m.update(key(1), values, BpfMap.ANY));
            values = longs(new long[shards]);
            assertEquals(-Errno.EEXIST, m.update(key(1), values, BpfMap.NOEXIST));
            assertEquals(0, m.lookup(key(1), values));
            for (int i = 0; i < shards; i++) {
                assertEquals(i + 100, longAt(values, i), "shard " + i);
            }
            assertEquals(0, m.lookup(key(0), values));
            assertEquals(0, longAt(values, 0));
            assertEquals(0, longAt(values, shards - 1));
            assertEquals(-Errno.E2BIG, m.update(key(2), values, BpfMap.EXIST));
            assertEquals(-Errno.ENOENT, m.lookup(key(2), values));

            byte[] next = new byte[4];
            assertEquals(0, m.getNextKey(null, next));
            assertEquals(0, keyOf(next));
            assertEquals(0, m.getNextKey(key(2), next));
            assertEquals(0, keyOf(next));
            assertEquals(0, m.getNextKey(next, next));
            assertEquals(1, keyOf(next));
            assertEquals(-Errno.ENOENT, m.getNextKey(next, next));
            assertEquals(-Errno.EINVAL, m.delete(key(1)));
        }
    }

    @Test
    void testArraymapPercpuManyKeys() {
        int nrKeys = 2000;
        try (ArrayMap m = (ArrayMap) Maps.create(percpu("pcpu_many", 8, nrKeys).build())) {
            int shards = m.shards();
            long[] vals = new long[shards];
            for (int i = 0; i < nrKeys; i++) {
                Arrays.fill(vals, i + 10);
                assertEquals(0, m.update(key(i), longs(vals), BpfMap.ANY));
            }
            byte[] values = new byte[shards * 8];
            for (int i = 0; i < nrKeys; i++) {
                Arrays.fill(values, (byte) 0);
                assertEquals(0, m.lookup(key(i), values));
                for (int s = 0; s < shards; s++) {
                    assertEquals(i + 10, longAt(values, s), "key " + i + " shard " + s);
                }
            }
        }
    }

    @Test
    void percpuValuesAreRoundedUpTo8BytesPerShard() {
        try (ArrayMap m = (ArrayMap) Maps.create(percpu("pcpu_odd", 12, 3).build())) {
            int shards = m.shards();
            assertEquals(shards * 16, m.valueBufferSize());
            byte[] in = new byte[shards * 16];
            for (int s = 0; s < shards; s++) {
                for (int b = 0; b < 12; b++) {
                    in[s * 16 + b] = (byte) (s * 16 + b + 1);
                }
            }
            assertEquals(0, m.update(key(2), in, BpfMap.ANY));
            byte[] out = new byte[shards * 16];
            assertEquals(0, m.lookup(key(2), out));
            assertArrayEquals(in, out);
            assertThrows(SondeException.class, () -> m.lookup(key(2), new byte[12]), "one value is not enough");
        }
    }

    @Test
    void oddValueSizesRoundTrip() {
        try (BpfMap m = Maps.create(array("arr_odd", 13, 4).build())) {
            byte[] in = new byte[13];
            for (int i = 0; i < 13; i++) {
                in[i] = (byte) (0xA0 + i);
            }
            assertEquals(0, m.update(key(3), in, BpfMap.ANY));
            assertEquals(0, m.update(key(2), new byte[13], BpfMap.ANY));
            byte[] out = new byte[13];
            assertEquals(0, m.lookup(key(3), out));
            assertArrayEquals(in, out);
            assertEquals(0, m.lookup(key(2), out));
            assertArrayEquals(new byte[13], out, "the neighbour element is untouched");
        }
    }

    // ---- errno paths, one each ------------------------------------------------------------------------------

    @Test
    void updateWithUnknownFlagsIsEinvalEvenOutOfRange() {
        try (BpfMap m = Maps.create(array("arr_flags", 8, 2).build())) {
            assertEquals(-Errno.EINVAL, m.update(key(0), longs(1), 3));
            assertEquals(-Errno.EINVAL, m.update(key(5), longs(1), 8), "flags are checked before the index");
        }
    }

    @Test
    void updateWithFLockIsEinvalWithoutASpinLock() {
        try (BpfMap m = Maps.create(array("arr_lock", 8, 2).build())) {
            assertEquals(-Errno.EINVAL, m.update(key(0), longs(1), BpfMap.F_LOCK));
            assertEquals(-Errno.EINVAL, m.update(key(0), longs(1), BpfMap.F_LOCK | BpfMap.EXIST));
        }
    }

    @Test
    void updatePastTheEndIsE2bigBeforeNoexist() {
        try (BpfMap m = Maps.create(array("arr_e2big", 8, 2).build())) {
            assertEquals(-Errno.E2BIG, m.update(key(2), longs(1), BpfMap.ANY));
            assertEquals(-Errno.E2BIG, m.update(key(2), longs(1), BpfMap.NOEXIST));
            assertEquals(-Errno.E2BIG, m.update(key(-1), longs(1), BpfMap.ANY), "keys are unsigned");
        }
    }

    @Test
    void updateNoexistIsEexistAndExistAndAnySucceed() {
        try (BpfMap m = Maps.create(array("arr_exist", 8, 2).build())) {
            assertEquals(-Errno.EEXIST, m.update(key(0), longs(1), BpfMap.NOEXIST));
            assertEquals(0, m.update(key(0), longs(2), BpfMap.EXIST));
            assertEquals(0, m.update(key(1), longs(3), BpfMap.ANY));
            byte[] v = new byte[8];
            m.lookup(key(0), v);
            assertEquals(2, longAt(v, 0));
        }
    }

    @Test
    void lookupPastTheEndIsEnoent() {
        try (BpfMap m = Maps.create(array("arr_enoent", 8, 2).build())) {
            assertEquals(-Errno.ENOENT, m.lookup(key(2), new byte[8]));
            assertEquals(-Errno.ENOENT, m.lookup(key(Integer.MIN_VALUE), new byte[8]));
            assertEquals(-Errno.ENOENT, m.lookupElem(2));
            assertEquals(-Errno.ENOENT, m.lookupElem(-1));
            assertEquals(-Errno.ENOENT, m.lookupElem(1L << 32));
        }
    }

    @Test
    void deleteIsEinval() {
        try (BpfMap m = Maps.create(array("arr_del", 8, 2).build())) {
            assertEquals(-Errno.EINVAL, m.delete(key(0)));
            assertEquals(-Errno.EINVAL, m.delete(key(7)), "even out of range");
        }
    }

    @Test
    void lookupAndDeleteIsEnotsupp() {
        try (BpfMap m = Maps.create(array("arr_lad", 8, 2).build());
             BpfMap p = Maps.create(percpu("pcpu_lad", 8, 2).build())) {
            assertEquals(-Errno.ENOTSUPP, m.lookupAndDelete(key(0), new byte[8]));
            assertEquals(-Errno.ENOTSUPP, p.lookupAndDelete(key(0), new byte[p.valueBufferSize()]));
        }
    }

    @Test
    void getNextKeyOfTheLastIndexIsEnoent() {
        try (BpfMap m = Maps.create(array("arr_next", 8, 3).build())) {
            byte[] next = new byte[4];
            assertEquals(-Errno.ENOENT, m.getNextKey(key(2), next));
            assertEquals(0, m.getNextKey(key(-1), next));
            assertEquals(0, keyOf(next));
            int seen = 0;
            byte[] k = null;
            while (m.getNextKey(k, next) == 0) {
                assertEquals(seen, keyOf(next));
                seen++;
                k = next.clone();
            }
            assertEquals(3, seen, "iteration visits every index once");
        }
    }

    @Test
    void readOnlyFlagMakesSyscallWritesEperm() {
        try (BpfMap m = Maps.create(array("arr_rdonly", 8, 2).flags(MapSpec.F_RDONLY).build())) {
            assertEquals(-Errno.EPERM, m.update(key(0), longs(1), BpfMap.ANY));
            assertEquals(-Errno.EPERM, m.delete(key(0)));
            assertEquals(0, m.lookup(key(0), new byte[8]));
            long h = m.lookupElem(0);
            m.addLong(h, 0, 5); // programs may still write: that is F_RDONLY_PROG's business
            byte[] v = new byte[8];
            m.lookup(key(0), v);
            assertEquals(5, longAt(v, 0));
        }
    }

    @Test
    void writeOnlyFlagMakesSyscallReadsEperm() {
        try (BpfMap m = Maps.create(array("arr_wronly", 8, 2).flags(MapSpec.F_WRONLY).build())) {
            assertEquals(0, m.update(key(0), longs(1), BpfMap.ANY));
            assertEquals(-Errno.EPERM, m.lookup(key(0), new byte[8]));
            assertEquals(-Errno.EPERM, m.getNextKey(null, new byte[4]));
        }
    }

    @Test
    void wrongKeyOrValueLengthThrows() {
        try (BpfMap m = Maps.create(array("arr_len", 8, 2).build())) {
            SondeException e = assertThrows(SondeException.class, () -> m.lookup(new byte[8], new byte[8]));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("key must be 4 bytes"), e.getMessage());
            e = assertThrows(SondeException.class, () -> m.update(key(0), new byte[7], BpfMap.ANY));
            assertTrue(e.getMessage().contains("value must be 8 bytes"), e.getMessage());
            assertThrows(SondeException.class, () -> m.lookup(null, new byte[8]));
            assertThrows(SondeException.class, () -> m.getNextKey(null, new byte[3]));
            assertThrows(SondeException.class, () -> m.delete(new byte[0]));
        }
    }

    // ---- typed accessors ------------------------------------------------------------------------------------

    @Test
    void typedAccessorsSeeWhatByteCallsWrote() {
        try (BpfMap m = Maps.create(array("arr_typed", 16, 4).build())) {
            assertEquals(0, m.update(key(3), longs(7, 9), BpfMap.ANY));
            long h = m.lookupElem(3);
            assertTrue(h >= 0);
            assertEquals(7, m.getLong(h, 0));
            assertEquals(9, m.getLong(h, 8));
            assertEquals(9, m.addLong(h, 8, 1));
            m.putInt(h, 0, 42);
            byte[] v = new byte[16];
            m.lookup(key(3), v);
            assertEquals(42, intAt(v, 0));
            assertEquals(10, longAt(v, 1));
            assertEquals(m.lookupElem(2) + 16, h, "elements are contiguous, value_size already a multiple of 8");
        }
    }

    @Test
    void percpuTypedAccessorsTouchOnlyTheCallersShard() throws Exception {
        try (ArrayMap m = (ArrayMap) Maps.create(percpu("pcpu_typed", 8, 2).build())) {
            int shards = m.shards();
            m.addLong(m.lookupElem(1), 0, 5);
            int mine = Shards.current(shards);
            byte[] values = new byte[shards * 8];
            m.lookup(key(1), values);
            for (int s = 0; s < shards; s++) {
                assertEquals(s == mine ? 5 : 0, longAt(values, s), "shard " + s);
            }
            assertEquals(m.shardElem(mine, 1), m.lookupElem(1));
            assertEquals(5, m.sumLong(1, 0));
        }
    }

    @Test
    void elementsAreEightByteAligned() {
        try (BpfMap m = Maps.create(array("arr_align", 4, 5).build());
             BpfMap p = Maps.create(percpu("pcpu_align", 12, 5).build())) {
            for (int i = 0; i < 5; i++) {
                assertEquals(0, m.lookupElem(i) % 8);
                assertEquals(0, p.lookupElem(i) % 8);
                m.addLong(m.lookupElem(i), 0, 1); // an atomic 8-byte add over a 4-byte value's padded slot works
            }
        }
    }

    // ---- concurrency ----------------------------------------------------------------------------------------

    @Test
    void concurrentAddLongCountsExactly() throws Exception {
        int perThread = 10_000_000;
        try (BpfMap m = Maps.create(array("arr_add", 8, 1).build())) {
            Thread[] ts = new Thread[2];
            for (int t = 0; t < ts.length; t++) {
                ts[t] = new Thread(() -> {
                    for (int i = 0; i < perThread; i++) {
                        m.addLong(m.lookupElem(0), 0, 1);
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            assertEquals(2L * perThread, m.getLong(m.lookupElem(0), 0));
            byte[] v = new byte[8];
            m.lookup(key(0), v);
            assertEquals(2L * perThread, longAt(v, 0));
        }
    }

    @Test
    void concurrentPercpuAddsSumExactly() throws Exception {
        int perThread = 10_000_000;
        try (ArrayMap m = (ArrayMap) Maps.create(percpu("pcpu_add", 8, 1).build())) {
            Thread[] ts = new Thread[2];
            for (int t = 0; t < ts.length; t++) {
                ts[t] = new Thread(() -> {
                    for (int i = 0; i < perThread; i++) {
                        m.addLong(m.lookupElem(0), 0, 1);
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            assertEquals(2L * perThread, m.sumLong(0, 0));
            byte[] values = new byte[m.valueBufferSize()];
            m.lookup(key(0), values);
            long sum = 0;
            for (int s = 0; s < m.shards(); s++) {
                sum += longAt(values, s);
            }
            assertEquals(2L * perThread, sum);
        }
    }
}
