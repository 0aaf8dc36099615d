package dev.sonde.maps;

import static dev.sonde.maps.TestMaps.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Ids, names, {@code list/byId/byName}, reference counting and pinning. */
class MapRegistryTest {

    @Test
    void idsAreUniqueAndIncreasing() {
        Set<Integer> ids = new HashSet<>();
        int last = 0;
        for (int i = 0; i < 5; i++) {
            try (BpfMap m = Maps.create(array("ids", 8, 1).build())) {
                assertTrue(m.id() > last, "ids are never reused");
                last = m.id();
                assertTrue(ids.add(m.id()));
            }
        }
    }

    @Test
    void namesAreUniqueWithinTheJvm() {
        String name = name("dup");
        try (BpfMap first = Maps.create(array("x", 8, 1).name(name).build())) {
            first.update(key(0), longs(77), BpfMap.ANY);
            SondeException e = assertThrows(SondeException.class,
                    () -> Maps.create(array("x", 8, 4).name(name).build()));
            assertEquals(Errno.EEXIST, e.errno());
            assertTrue(e.getMessage().contains(name), e.getMessage());
            byte[] v = new byte[8];
            assertEquals(0, first.lookup(key(0), v), "the first map is untouched");
            assertEquals(77, longAt(v, 0));
            assertSame(first, Maps.byName(name));
        }
        try (BpfMap again = Maps.create(array("x", 8, 1).name(name).build())) {
            assertSame(again, Maps.byName(name), "a closed map's name is free again");
        }
    }

    @Test
    void listByIdByName() {
        try (BpfMap a = Maps.create(array("list", 8, 1).build());
             BpfMap b = Maps.create(percpu("list", 8, 1).build())) {
            assertTrue(Maps.list().contains(a));
            assertTrue(Maps.list().contains(b));
            assertTrue(Maps.list().indexOf(a) < Maps.list().indexOf(b), "listed by id");
            assertSame(a, Maps.byId(a.id()));
            assertSame(b, Maps.byName(b.name()));
            a.close();
            assertNull(Maps.byId(a.id()));
            assertNull(Maps.byName(a.name()));
            assertFalse(Maps.list().contains(a));
        }
    }

    @Test
    void unnamedMapsAreNamedAfterTypeAndId() {
        try (BpfMap m = Maps.create(MapSpec.builder(MapType.ARRAY).keySize(4).valueSize(8).maxEntries(1).build())) {
            assertEquals("array_" + m.id(), m.name());
            assertTrue(Files.exists(m.path()));
        }
    }

    @Test
    void createWritesTheFileAndItsMetadata() {
        BpfMap m = Maps.create(array("files", 8, 4).build());
        Path p = m.path();
        assertEquals(SondeDir.mapsDir().resolve(m.name()), p);
        assertTrue(Files.exists(p));
        assertTrue(Files.exists(MapMetadata.metadataPath(p)));
        m.close();
        assertFalse(Files.exists(p), "the last reference removes the file");
        assertFalse(Files.exists(MapMetadata.metadataPath(p)));
        assertTrue(m.isFreed());
        m.close(); // a second close is a no-op, not a double release
        assertEquals(0, m.refCount());
    }

    @Test
    void aRetainedMapOutlivesClose() {
        BpfMap m = Maps.create(array("retained", 8, 1).build());
        m.retain(); // as an outer map or a program would
        m.close();
        assertFalse(m.isFreed());
        assertTrue(Files.exists(m.path()), "still on disk while referenced");
        assertSame(m, Maps.byId(m.id()));
        m.addLong(m.lookupElem(0), 0, 1);
        m.release();
        assertTrue(m.isFreed());
        assertFalse(Files.exists(m.path()));
        assertNull(Maps.byId(m.id()));
        SondeException e = assertThrows(SondeException.class, m::retain, "a freed map never comes back");
        assertEquals(Errno.EBADF, e.errno());
    }

    @Test
    void aPinnedMapsFileStays() throws Exception {
        BpfMap m = Maps.create(array("pinned", 8, 2).build());
        m.update(key(1), longs(99), BpfMap.ANY);
        m.pin();
        Path p = m.path();
        m.close();
        try {
            assertTrue(m.isFreed());
            assertNull(Maps.byName(m.name()), "freed maps leave the registry even when pinned");
            assertTrue(Files.exists(p), "the pinned file stays");
            try (BpfMap r = Maps.open(p)) {
                byte[] v = new byte[8];
                assertEquals(0, r.lookup(key(1), v));
                assertEquals(99, longAt(v, 0));
            }
            SondeException e = assertThrows(SondeException.class,
                    () -> Maps.create(array("x", 8, 2).name(m.name()).build()));
            assertEquals(Errno.EEXIST, e.errno(), "the pinned file keeps its name");
        } finally {
            Files.deleteIfExists(p);
            Files.deleteIfExists(MapMetadata.metadataPath(p));
        }
    }
}
