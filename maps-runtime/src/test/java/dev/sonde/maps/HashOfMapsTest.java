package dev.sonde.maps;

import static dev.sonde.maps.BpfMap.ANY;
import static dev.sonde.maps.BpfMap.EXIST;
import static dev.sonde.maps.BpfMap.NOEXIST;
import static dev.sonde.maps.HashMapTest.assertErrno;
import static dev.sonde.maps.HashMapTest.i4;
import static dev.sonde.maps.HashMapTest.k4;
import static dev.sonde.maps.HashMapTest.k8;
import static dev.sonde.maps.HashMapTest.l8;
import static org.junit.jupiter.api.Assertions.*;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** HASH_OF_MAPS: hash semantics over inner-map ids, references held and released, lookupMap for programs. */
class HashOfMapsTest {
    static BpfMap inner(int valueSize, int maxEntries) {
        return Maps.create(MapSpec.builder(MapType.HASH).keySize(8).valueSize(valueSize).maxEntries(maxEntries).build());
    }

    static HashOfMaps outer(BpfMap template, int maxEntries) {
        return (HashOfMaps) Maps.create(MapSpec.builder(MapType.HASH_OF_MAPS).keySize(8).valueSize(4)
                .maxEntries(maxEntries).innerMap(template).build());
    }

    @Test
    void updateLookupReplaceDelete() {
        try (BpfMap tmpl = inner(8, 4); HashOfMaps outer = outer(tmpl, 4); BpfMap a = inner(8, 16);
             BpfMap b = inner(8, 100)) {
            assertEquals(0, outer.update(k8(7), k4(a.id()), NOEXIST));
            assertEquals(2, a.refCount(), "the outer map holds a reference");
            assertSame(a, outer.lookupMap(7));
            assertNull(outer.lookupMap(8));
            byte[] v = new byte[4];
            assertEquals(0, outer.lookup(k8(7), v));
            assertEquals(a.id(), i4(v), "lookup gives the inner map's id");
            assertEquals(-Errno.EEXIST, outer.update(k8(7), k4(b.id()), NOEXIST));
            assertEquals(1, b.refCount(), "a failed update takes no reference");
            assertEquals(0, outer.update(k8(7), k4(b.id()), EXIST));
            assertSame(b, outer.lookupMap(7));
            assertEquals(1, a.refCount(), "replacing releases the old inner map");
            assertEquals(2, b.refCount());
            assertEquals(0, outer.delete(k8(7)));
            assertEquals(1, b.refCount());
            assertNull(outer.lookupMap(7));
            assertEquals(-Errno.ENOENT, outer.delete(k8(7)));
            assertEquals(-Errno.ENOENT, outer.update(k8(7), k4(a.id()), EXIST));
        }
    }

    @Test
    void errnoPaths() {
        try (BpfMap tmpl = inner(8, 4); HashOfMaps outer = outer(tmpl, 2); BpfMap a = inner(8, 4);
             BpfMap misfit = inner(16, 4)) {
            assertEquals(-Errno.EBADF, outer.update(k8(1), k4(999_999), ANY), "no map with that id");
            assertEquals(-Errno.EINVAL, outer.update(k8(1), k4(misfit.id()), ANY), "value size differs from the template");
            assertEquals(-Errno.EINVAL, outer.update(k8(1), k4(a.id()), -1));
            assertEquals(-Errno.EINVAL, outer.update(k8(1), k4(a.id()), BpfMap.F_LOCK));
            assertEquals(1, a.refCount());
            assertEquals(0, outer.update(k8(1), k4(a.id()), ANY));
            assertEquals(0, outer.update(k8(2), k4(a.id()), ANY));
            assertEquals(-Errno.E2BIG, outer.update(k8(3), k4(a.id()), ANY));
            assertEquals(3, a.refCount(), "one reference per element");
            assertEquals(-Errno.ENOTSUPP, outer.lookupAndDelete(k8(1), new byte[4]));
            assertEquals(-Errno.ENOTSUPP, outer.lookupElem(1), "programs use lookupMap");
            Set<Long> keys = new HashSet<>();
            byte[] key = null;
            byte[] next = new byte[8];
            while (outer.getNextKey(key, next) == 0) {
                keys.add(l8(next));
                key = next.clone();
            }
            assertEquals(Set.of(1L, 2L), keys);
        }
    }

    @Test
    void freeingTheOuterMapReleasesItsInnerMaps() {
        try (BpfMap tmpl = inner(8, 4); BpfMap a = inner(8, 4)) {
            HashOfMaps outer = outer(tmpl, 8);
            for (long k = 0; k < 5; k++) {
                assertEquals(0, outer.update(k8(k), k4(a.id()), ANY));
            }
            assertEquals(6, a.refCount());
            outer.close();
            assertEquals(1, a.refCount());
        }
    }

    @Test
    void badSpecs() {
        try (BpfMap tmpl = inner(8, 4)) {
            assertErrno(Errno.EINVAL, () -> Maps.create(MapSpec.builder(MapType.HASH_OF_MAPS).keySize(8).valueSize(8)
                    .maxEntries(4).innerMap(tmpl).build()));
            assertErrno(Errno.EINVAL, () -> Maps.create(MapSpec.builder(MapType.HASH_OF_MAPS).keySize(8).valueSize(4)
                    .maxEntries(4).build()));
            assertErrno(Errno.EINVAL, () -> Maps.create(MapSpec.builder(MapType.HASH_OF_MAPS).keySize(8).valueSize(4)
                    .maxEntries(4).flags(MapSpec.F_NO_COMMON_LRU).innerMap(tmpl).build()));
            try (HashOfMaps outer = outer(tmpl, 2)) {
                assertErrno(Errno.EINVAL, () -> Maps.create(MapSpec.builder(MapType.HASH_OF_MAPS).keySize(8)
                        .valueSize(4).maxEntries(4).innerMap(outer).build()));
                assertErrno(Errno.EINVAL, () -> outer.metaEqual(tmpl));
            }
        }
    }

    @Test
    void lookupMapAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        try (BpfMap tmpl = inner(8, 4); HashOfMaps outer = outer(tmpl, 64); BpfMap a = inner(8, 4)) {
            for (long k = 0; k < 64; k++) {
                assertEquals(0, outer.update(k8(k), k4(a.id()), ANY));
            }
            long sink = 0;
            for (int i = 0; i < 200_000; i++) { // warm up, so that the JIT's escape analysis has run
                sink += outer.lookupMap(i & 63).id();
            }
            long tid = Thread.currentThread().getId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 1_000_000; i++) {
                sink += outer.lookupMap(i & 63).id();
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            assertTrue(allocated < 10_000, "lookupMap allocated " + allocated + " bytes for 1M calls");
            assertEquals(1_200_000L * a.id(), sink);
        }
    }

    @Test
    void openedFromTheFileItShowsIdsOnly() {
        try (BpfMap tmpl = inner(8, 4); HashOfMaps outer = outer(tmpl, 4); BpfMap a = inner(8, 4)) {
            assertEquals(0, outer.update(k8(3), k4(a.id()), ANY));
            try (BpfMap o = Maps.open(outer.path())) {
                assertEquals(MapType.HASH_OF_MAPS, o.type());
                byte[] v = new byte[4];
                assertEquals(0, o.lookup(k8(3), v));
                assertEquals(a.id(), i4(v));
                assertNull(o.lookupMap(3), "the references live in the JVM that made the map");
                assertEquals(-Errno.EPERM, o.update(k8(4), k4(a.id()), ANY));
                assertEquals(-Errno.EPERM, o.delete(k8(3)));
            }
            assertEquals(2, a.refCount(), "closing the opened view released nothing of the creator's");
        }
    }

    /** The swap protocol of ArrayOfMaps on a hash: swap a fresh map in, drain the old one, lose no increment. */
    @Test
    void swapsUnderAGracePeriodLoseNoIncrement() throws Exception {
        int writers = 2;
        int perWriter = 1_000_000;
        try (BpfMap tmpl = inner(8, 1); HashOfMaps outer = outer(tmpl, 4)) {
            try (BpfMap first = inner(8, 1)) {
                assertEquals(0, outer.update(k8(42), k4(first.id()), ANY));
            }
            GracePeriod gp = outer.gracePeriod();
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long[] drained = new long[1];
            Thread swapper = new Thread(() -> {
                try {
                    while (!done.get()) {
                        BpfMap fresh = inner(8, 1);
                        BpfMap old = outer.lookupMap(42).retain();
                        assertEquals(0, outer.update(k8(42), k4(fresh.id()), ANY));
                        fresh.close();
                        gp.synchronize();
                        long h = old.lookupElem(0);
                        drained[0] += h < 0 ? 0 : old.getLong(h, 0);
                        old.release();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            Thread[] ws = new Thread[writers];
            for (int w = 0; w < writers; w++) {
                ws[w] = new Thread(() -> {
                    for (int i = 0; i < perWriter; i++) {
                        int t = gp.enter();
                        BpfMap m = outer.lookupMap(42);
                        if (m.incrementLong(0, 0, 1) != 0) {
                            failure.set(new AssertionError("increment failed"));
                        }
                        gp.exit(t);
                    }
                });
            }
            swapper.start();
            for (Thread w : ws) {
                w.start();
            }
            for (Thread w : ws) {
                w.join();
            }
            done.set(true);
            swapper.join();
            assertNull(failure.get());
            BpfMap last = outer.lookupMap(42);
            long h = last.lookupElem(0);
            long total = drained[0] + (h < 0 ? 0 : last.getLong(h, 0));
            assertEquals((long) writers * perWriter, total);
        }
    }
}
