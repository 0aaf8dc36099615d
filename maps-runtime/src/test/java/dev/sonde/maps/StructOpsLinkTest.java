package dev.sonde.maps;

import static dev.sonde.maps.TestMaps.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.sonde.maps.StructOpsMapTest.Apply;
import dev.sonde.maps.StructOpsMapTest.TestOps;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code BPF_F_LINK} struct_ops maps: READY after update, registered, replaced and detached through a link. */
class StructOpsLinkTest {
    static final StructOpsType<TestOps> TYPE = StructOpsType.builder("test_link_ops", TestOps::new)
            .mandatory("apply", Apply.class, x -> -1)
            .optional("note", StructOpsMapTest.Note.class, x -> { })
            .register();

    @AfterEach
    void noLeftovers() {
        assertNull(TYPE.registered(), "a test left a registration behind");
    }

    private static long call(long x) {
        int t = TYPE.enter();
        try {
            return TYPE.current().apply.apply(x);
        } finally {
            TYPE.exit(t);
        }
    }

    private static StructOpsMap ready(String prefix, Apply a, int progId) {
        StructOpsMap m = (StructOpsMap) Maps.create(TYPE.mapSpec(name(prefix)).flags(StructOpsMap.F_LINK).build());
        m.setCallback("apply", a, progId);
        assertEquals(0, m.attach());
        return m;
    }

    @Test
    void updateMakesTheMapReadyWithoutRegisteringIt() {
        try (StructOpsMap m = ready("link_ready", x -> x + 1, 3)) {
            assertEquals(StructOpsLayout.STATE_READY, m.state());
            assertNull(TYPE.registered());
            assertEquals(-1, call(1), "READY is not registered");
            byte[] v = new byte[16];
            assertEquals(0, m.lookup(key(0), v));
            assertArrayEquals(ints(0, StructOpsLayout.STATE_READY, 3, 0), v);
            assertEquals(-Errno.EOPNOTSUPP, m.delete(key(0)), "a link owns the registration");
            assertEquals(-Errno.EBUSY, m.attach());
        }
    }

    @Test
    void updateStillRefusesAnIncompleteSet() {
        try (StructOpsMap m = (StructOpsMap) Maps.create(TYPE.mapSpec(name("link_inc")).flags(StructOpsMap.F_LINK).build())) {
            m.setCallback("note", (StructOpsMapTest.Note) x -> { }, 4);
            assertEquals(-Errno.EINVAL, m.attach());
            assertEquals(StructOpsLayout.STATE_INIT, m.state());
            SondeException e = assertThrows(SondeException.class, () -> StructOpsLink.create(m));
            assertEquals(Errno.EINVAL, e.errno());
        }
    }

    @Test
    void linkRegistersReplacesAndDetaches() {
        StructOpsMap a = ready("link_a", x -> 10, 11);
        StructOpsMap b = ready("link_b", x -> 20, 12);
        StructOpsMap other = ready("link_c", x -> 30, 13);
        StructOpsMap plain = (StructOpsMap) Maps.create(TYPE.mapSpec(name("link_plain")).build());
        plain.setCallback("apply", (Apply) x -> 40, 14);
        try (StructOpsLink link = StructOpsLink.create(a)) {
            assertSame(a, link.map());
            assertEquals(10, call(0));
            byte[] v = new byte[16];
            assertEquals(0, a.lookup(key(0), v));
            assertEquals(1, intAt(v, 0), "the link's reference");
            assertEquals(StructOpsLayout.STATE_READY, intAt(v, 1), "a linked map stays READY, as the kernel's");

            SondeException busy = assertThrows(SondeException.class, () -> StructOpsLink.create(other));
            assertEquals(Errno.EBUSY, busy.errno());
            assertEquals(-Errno.EBUSY, plain.attach(), "the subsystem is taken by the link");
            assertEquals(-Errno.EINVAL, link.update(plain), "not an F_LINK map");
            assertEquals(-Errno.EPERM, link.update(b, other), "BPF_F_REPLACE with the wrong old map");

            assertEquals(0, link.update(b, a));
            assertSame(b, TYPE.registered());
            assertEquals(20, call(0));
            assertEquals(0, a.lookup(key(0), v));
            assertEquals(0, intAt(v, 0), "the old map is no longer held");
            a.close();
            assertTrue(a.isFreed(), "replacing dropped the link's reference on the old map");

            assertEquals(0, link.detach());
            assertNull(link.map());
            assertEquals(-1, call(0), "back on the defaults");
            assertEquals(-Errno.ENOLINK, link.update(other));
            assertEquals(0, link.detach(), "detaching twice is harmless");
        } finally {
            a.close();
            b.close();
            other.close();
            plain.close();
        }
        assertTrue(b.isFreed());
    }

    @Test
    void linkRefusesMapsOfAnotherSubsystem() {
        try (StructOpsMap mine = ready("link_mine", x -> 1, 21);
             StructOpsMap theirs = (StructOpsMap) Maps.create(StructOpsMapTest.TYPE.mapSpec(name("link_theirs"))
                     .flags(StructOpsMap.F_LINK).build());
             StructOpsLink link = StructOpsLink.create(mine)) {
            theirs.setCallback("apply", (Apply) x -> 2, 22);
            assertEquals(0, theirs.attach());
            assertEquals(-Errno.EINVAL, link.update(theirs));
            assertEquals(1, call(0));
        }
    }
}
