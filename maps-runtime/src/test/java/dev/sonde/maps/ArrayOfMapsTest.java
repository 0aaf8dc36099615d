package dev.sonde.maps;

import static dev.sonde.maps.TestMaps.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ARRAY_OF_MAPS}: the map-in-map parts of the kernel's {@code test_maps.c} ({@code test_map_in_map}), one
 * test per errno path, and reference counting of inner maps.
 */
class ArrayOfMapsTest {
    @TempDir
    Path tmp;

    private static BpfMap template(int maxEntries) {
        return Maps.create(array("tmpl", 8, maxEntries).build());
    }

    private static MapSpec.Builder outer(BpfMap template, int maxEntries) {
        return MapSpec.builder(MapType.ARRAY_OF_MAPS).name(name("outer")).keySize(4).valueSize(4)
                .maxEntries(maxEntries).innerMap(template);
    }

    @Test
    void mapInMap() {
        try (BpfMap tmpl = template(4);
             BpfMap out = Maps.create(outer(tmpl, 2).build());
             BpfMap in = Maps.create(array("inner", 8, 4).build())) {
            assertEquals(0, out.update(key(0), ints(in.id()), BpfMap.ANY));
            byte[] v = new byte[4];
            assertEquals(0, out.lookup(key(0), v));
            assertEquals(in.id(), intAt(v, 0), "lookup from the syscall side gives the inner map's id");
            assertSame(in, out.lookupMap(0));
            assertSame(in, Maps.byId(intAt(v, 0)));
            assertEquals(-Errno.ENOENT, out.lookup(key(1), v), "an empty slot");
            assertNull(out.lookupMap(1));
            assertNull(out.lookupMap(2));
            assertNull(out.lookupMap(-1));

            BpfMap viaOuter = out.lookupMap(0);
            viaOuter.addLong(viaOuter.lookupElem(3), 0, 7);
            byte[] iv = new byte[8];
            in.lookup(key(3), iv);
            assertEquals(7, longAt(iv, 0), "writes through the outer map land in the inner map");

            assertEquals(0, out.delete(key(0)));
            assertEquals(-Errno.ENOENT, out.lookup(key(0), v));
            assertNull(out.lookupMap(0));
        }
    }

    @Test
    void updateTakesAReferenceAndReplacingReleasesIt() {
        try (BpfMap tmpl = template(4);
             BpfMap out = Maps.create(outer(tmpl, 2).build())) {
            BpfMap a = Maps.create(array("inner_a", 8, 4).build());
            BpfMap b = Maps.create(array("inner_b", 8, 4).build());
            assertEquals(0, out.update(key(1), ints(a.id()), BpfMap.ANY));
            assertEquals(2, a.refCount());
            a.close();
            assertFalse(a.isFreed(), "the outer map keeps it alive");
            assertTrue(Files.exists(a.path()));
            assertSame(a, Maps.byId(a.id()));

            assertEquals(0, out.update(key(1), ints(b.id()), BpfMap.ANY));
            assertTrue(a.isFreed(), "replaced: its last reference went");
            assertFalse(Files.exists(a.path()));
            assertSame(b, out.lookupMap(1));

            assertEquals(0, out.update(key(0), ints(b.id()), BpfMap.ANY), "one map may sit in two slots");
            assertEquals(3, b.refCount());
            b.close();
            assertEquals(0, out.delete(key(1)));
            assertFalse(b.isFreed());
            assertEquals(0, out.delete(key(0)));
            assertTrue(b.isFreed());
            assertFalse(Files.exists(b.path()));
        }
    }

    @Test
    void freeingTheOuterMapReleasesItsInnerMaps() {
        BpfMap tmpl = template(4);
        BpfMap out = Maps.create(outer(tmpl, 3).build());
        BpfMap in = Maps.create(array("inner_free", 8, 4).build());
        out.update(key(0), ints(in.id()), BpfMap.ANY);
        out.update(key(2), ints(in.id()), BpfMap.ANY);
        in.close();
        tmpl.close();
        assertFalse(in.isFreed());
        Path inPath = in.path();
        out.close();
        assertTrue(out.isFreed());
        assertTrue(in.isFreed());
        assertFalse(Files.exists(inPath));
        assertFalse(Files.exists(out.path()));
    }

    @Test
    void updateWithAnUnknownIdIsEbadf() {
        try (BpfMap tmpl = template(4);
             BpfMap out = Maps.create(outer(tmpl, 2).build())) {
            assertEquals(-Errno.EBADF, out.update(key(0), ints(0), BpfMap.ANY));
            assertEquals(-Errno.EBADF, out.update(key(0), ints(Integer.MAX_VALUE), BpfMap.ANY));
            BpfMap gone = Maps.create(array("gone", 8, 4).build());
            gone.close();
            assertEquals(-Errno.EBADF, out.update(key(0), ints(gone.id()), BpfMap.ANY), "a freed map's id");
        }
    }

    @Test
    void updateWithAMapThatDoesNotMatchTheTemplateIsEinval() {
        try (BpfMap tmpl = template(4);
             BpfMap out = Maps.create(outer(tmpl, 2).build());
             BpfMap entries = Maps.create(array("m_entries", 8, 5).build());
             BpfMap value = Maps.create(array("m_value", 16, 4).build());
             BpfMap flags = Maps.create(array("m_flags", 8, 4).flags(MapSpec.F_RDONLY_PROG).build());
             BpfMap type = Maps.create(percpu("m_type", 8, 4).build())) {
            for (BpfMap misfit : new BpfMap[] {entries, value, flags, type, out}) {
                assertEquals(-Errno.EINVAL, out.update(key(0), ints(misfit.id()), BpfMap.ANY), misfit.toString());
                assertEquals(1, misfit.refCount(), "no reference taken");
            }
            assertEquals(-Errno.ENOENT, out.lookup(key(0), new byte[4]));
        }
    }

    @Test
    void innerMapFlagLetsInnerArraysDifferInMaxEntries() {
        try (BpfMap tmpl = Maps.create(array("tmpl_im", 8, 4).flags(ArrayMap.F_INNER_MAP).build());
             BpfMap out = Maps.create(outer(tmpl, 2).build());
             BpfMap big = Maps.create(array("im_big", 8, 1000).flags(ArrayMap.F_INNER_MAP).build());
             BpfMap plain = Maps.create(array("im_plain", 8, 4).build())) {
            assertEquals(0, out.update(key(0), ints(big.id()), BpfMap.ANY));
            assertSame(big, out.lookupMap(0));
            assertEquals(-Errno.EINVAL, out.update(key(1), ints(plain.id()), BpfMap.ANY), "flags must still match");
        }
    }

    @Test
    void updateFlagsOtherThanAnyAreEinval() {
        try (BpfMap tmpl = template(4);
             BpfMap out = Maps.create(outer(tmpl, 2).build());
             BpfMap in = Maps.create(array("inner_fl", 8, 4).build())) {
            assertEquals(-Errno.EINVAL, out.update(key(0), ints(in.id()), BpfMap.NOEXIST));
            assertEquals(-Errno.EINVAL, out.update(key(0), ints(in.id()), BpfMap.EXIST));
            assertEquals(-Errno.EINVAL, out.update(key(0), ints(in.id()), BpfMap.F_LOCK));
            assertEquals(-Errno.EINVAL, out.update(key(9), ints(in.id()), BpfMap.NOEXIST), "flags before index");
            assertEquals(1, in.refCount());
        }
    }

    @Test
    void indexPastTheEnd() {
        try (BpfMap tmpl = template(4);
             BpfMap out = Maps.create(outer(tmpl, 2).build());
             BpfMap in = Maps.create(array("inner_e2big", 8, 4).build())) {
            assertEquals(-Errno.E2BIG, out.update(key(2), ints(in.id()), BpfMap.ANY));
            assertEquals(-Errno.E2BIG, out.delete(key(2)));
            assertEquals(-Errno.ENOENT, out.lookup(key(2), new byte[4]));
            assertEquals(1, in.refCount());
        }
    }

    @Test
    void deleteOfAnEmptySlotIsEnoent() {
        try (BpfMap tmpl = template(4);
             BpfMap out = Maps.create(outer(tmpl, 2).build())) {
            assertEquals(-Errno.ENOENT, out.delete(key(1)));
        }
    }

    @Test
    void iterationAndLookupAndDelete() {
        try (BpfMap tmpl = template(4);
             BpfMap out = Maps.create(outer(tmpl, 2).build())) {
            byte[] next = new byte[4];
            assertEquals(0, out.getNextKey(null, next));
            assertEquals(0, keyOf(next));
            assertEquals(0, out.getNextKey(next, next));
            assertEquals(1, keyOf(next));
            assertEquals(-Errno.ENOENT, out.getNextKey(next, next));
            assertEquals(-Errno.ENOTSUPP, out.lookupAndDelete(key(0), new byte[4]));
        }
    }

    // ---- creation ------------------------------------------------------------------------------------------

    @Test
    void missingTemplate() {
        SondeException e = assertThrows(SondeException.class, () -> Maps.create(outer(null, 2).build()));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("innerMap("), e.getMessage());
    }

    @Test
    void templateThatCannotNest() throws Exception {
        MapSpec spec = MapSpec.builder(MapType.RINGBUF).name("rb_like").maxEntries(4096).build();
        MapFile f = MapFile.create(tmp.resolve("rb_like"), spec, "rb_like", 0, 4096);
        BpfMap notNestable = new BpfMap(spec, 0, f, false) {
        };
        SondeException e = assertThrows(SondeException.class, () -> Maps.create(outer(notNestable, 2).build()));
        assertEquals(Errno.ENOTSUPP, e.errno());
        assertTrue(e.getMessage().contains("cannot be an inner map"), e.getMessage());
    }

    @Test
    void templateThatIsAMapInMap() {
        try (BpfMap tmpl = template(4);
             BpfMap out = Maps.create(outer(tmpl, 2).build())) {
            SondeException e = assertThrows(SondeException.class, () -> Maps.create(outer(out, 2).build()));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("one level"), e.getMessage());
        }
    }

    @Test
    void valuesAreFourByteIds() {
        try (BpfMap tmpl = template(4)) {
            SondeException e = assertThrows(SondeException.class,
                    () -> Maps.create(outer(tmpl, 2).valueSize(8).build()));
            assertTrue(e.getMessage().contains("valueSize(4)"), e.getMessage());
            e = assertThrows(SondeException.class, () -> Maps.create(outer(tmpl, 2).keySize(8).build()));
            assertTrue(e.getMessage().contains("keySize(4)"), e.getMessage());
        }
    }

    @Test
    void programAccessFlagsAndMmapableAreRefused() {
        try (BpfMap tmpl = template(4)) {
            for (long f : new long[] {MapSpec.F_RDONLY_PROG, MapSpec.F_WRONLY_PROG, MapSpec.F_MMAPABLE}) {
                SondeException e = assertThrows(SondeException.class, () -> Maps.create(outer(tmpl, 2).flags(f).build()));
                assertEquals(Errno.EINVAL, e.errno());
            }
            try (BpfMap ok = Maps.create(outer(tmpl, 2).flags(MapSpec.F_RDONLY).build())) {
                assertEquals(MapSpec.F_RDONLY, ok.flags());
            }
        }
    }

    @Test
    void percpuArraysNestToo() {
        try (BpfMap tmpl = Maps.create(percpu("ptmpl", 8, 2).build());
             BpfMap out = Maps.create(outer(tmpl, 1).build());
             BpfMap in = Maps.create(percpu("pinner", 8, 2).build())) {
            assertEquals(0, out.update(key(0), ints(in.id()), BpfMap.ANY));
            assertSame(in, out.lookupMap(0));
        }
    }

    // ---- another process's view ------------------------------------------------------------------------------

    @Test
    void openedFromTheFileItShowsIdsOnly() {
        try (BpfMap tmpl = template(4);
             BpfMap out = Maps.create(outer(tmpl, 2).build());
             BpfMap in = Maps.create(array("inner_open", 8, 4).build())) {
            out.update(key(1), ints(in.id()), BpfMap.ANY);
            try (BpfMap r = Maps.open(out.path()); BpfMap w = Maps.open(out.path(), true)) {
                byte[] v = new byte[4];
                assertEquals(0, r.lookup(key(1), v));
                assertEquals(in.id(), intAt(v, 0));
                assertEquals(-Errno.ENOENT, r.lookup(key(0), v));
                assertNull(r.lookupMap(1), "the references live in the creating JVM");
                assertEquals(-Errno.EPERM, r.update(key(0), ints(in.id()), BpfMap.ANY));
                assertEquals(-Errno.EPERM, w.update(key(0), ints(in.id()), BpfMap.ANY));
                assertEquals(-Errno.EPERM, w.delete(key(1)));
            }
            assertEquals(0, out.delete(key(1)));
            try (BpfMap r = Maps.open(out.path())) {
                assertEquals(-Errno.ENOENT, r.lookup(key(1), new byte[4]), "a delete clears the id in the file");
            }
        }
    }
}
