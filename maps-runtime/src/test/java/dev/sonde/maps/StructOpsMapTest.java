package dev.sonde.maps;

import static dev.sonde.maps.TestMaps.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The STRUCT_OPS life cycle as {@code kernel/bpf/bpf_struct_ops.c}: create checks, update, lookup, delete. */
class StructOpsMapTest {
    /** A slot callback: what a program computes. */
    @FunctionalInterface
    interface Apply {
        long apply(long x);
    }

    @FunctionalInterface
    interface Note {
        void note(long x);
    }

    /** The subsystem's struct. */
    static final class TestOps {
        final Apply apply;
        final Note note;

        TestOps(Object[] c) {
            this.apply = (Apply) c[0];
            this.note = (Note) c[1];
        }
    }

    static final Apply DEFAULT_APPLY = x -> -1;
    static final Note DEFAULT_NOTE = x -> { };
    static final StructOpsType<TestOps> TYPE = StructOpsType.builder("test_lifecycle_ops", TestOps::new)
            .mandatory("apply", Apply.class, DEFAULT_APPLY)
            .optional("note", Note.class, DEFAULT_NOTE)
            .register();

    @AfterEach
    void unregisterLeftovers() {
        StructOpsMap r = TYPE.registered();
        if (r != null) {
            r.detach(); // a failed test must not leave the next one an -EBUSY
        }
    }

    private static long call(long x) {
        int t = TYPE.enter();
        try {
            return TYPE.current().apply.apply(x);
        } finally {
            TYPE.exit(t);
        }
    }

    private static StructOpsMap create(String prefix) {
        return (StructOpsMap) Maps.create(TYPE.mapSpec(name(prefix)).build());
    }

    private static byte[] value(int refcnt, int state, int applyId, int noteId) {
        return ints(refcnt, state, applyId, noteId);
    }

    @Test
    void createChecksTheSpecAsAllocCheck() {
        MapSpec ok = TYPE.mapSpec(name("so_spec")).build();
        assertEquals(16, ok.valueSize(), "8 bytes of refcnt and state, two 4-byte program ids");
        assertErrno(Errno.EINVAL, () -> Maps.create(ok.toBuilder().keySize(8).build()));
        assertErrno(Errno.EINVAL, () -> Maps.create(ok.toBuilder().maxEntries(2).build()));
        assertErrno(Errno.EINVAL, () -> Maps.create(ok.toBuilder().flags(MapSpec.F_RDONLY).build()));
        assertErrno(Errno.EINVAL, () -> Maps.create(ok.toBuilder().valueSize(24).build()));
        assertErrno(Errno.EINVAL, () -> Maps.create(ok.toBuilder().structOps(null).build()));
        assertErrno(Errno.ENOTSUPP, () -> Maps.create(ok.toBuilder().structOps("no_such_ops").build()));
        assertFalse(Files.exists(SondeDir.mapsDir().resolve(ok.name())), "a refused spec leaves nothing on disk");
    }

    @Test
    void initShowsZerosAndOneKey() {
        try (StructOpsMap m = create("so_init")) {
            byte[] v = value(7, 7, 7, 7);
            assertEquals(0, m.lookup(key(0), v));
            assertArrayEquals(new byte[16], v, "INIT: the kernel returns a zeroed value");
            assertEquals(-Errno.ENOENT, m.lookup(key(1), v));
            byte[] next = new byte[4];
            assertEquals(0, m.getNextKey(null, next));
            assertEquals(0, keyOf(next));
            assertEquals(0, m.getNextKey(key(5), next));
            assertEquals(0, keyOf(next));
            assertEquals(-Errno.ENOENT, m.getNextKey(key(0), next));
            assertEquals(-Errno.ENOENT, m.delete(key(0)), "nothing registered yet");
            assertEquals(-Errno.EINVAL, m.lookupElem(0), "programs cannot look a struct_ops value up");
            assertThrows(SondeException.class, () -> m.metaEqual(m), "no struct_ops inner maps");
            assertEquals(StructOpsLayout.STATE_INIT, m.state());
        }
    }

    @Test
    void updateRefusesBadKeysFlagsAndValues() {
        Apply a = x -> x + 1;
        try (StructOpsMap m = create("so_bad")) {
            m.setCallback("apply", a, 11);
            assertEquals(-Errno.EINVAL, m.update(key(0), m.value(), BpfMap.NOEXIST));
            assertEquals(-Errno.EINVAL, m.update(key(0), m.value(), BpfMap.F_LOCK));
            assertEquals(-Errno.E2BIG, m.update(key(1), m.value(), BpfMap.ANY));
            assertEquals(-Errno.EINVAL, m.update(key(0), value(1, 0, 11, 0), BpfMap.ANY), "refcnt must be 0");
            assertEquals(-Errno.EINVAL, m.update(key(0), value(0, 1, 11, 0), BpfMap.ANY), "state must be 0");
            assertEquals(-Errno.EINVAL, m.update(key(0), value(0, 0, 12, 0), BpfMap.ANY), "not the attached program");
            assertEquals(-Errno.EBADF, m.update(key(0), value(0, 0, 11, 13), BpfMap.ANY), "no callback in 'note'");
            assertThrows(SondeException.class, () -> m.update(key(0), new byte[8], BpfMap.ANY));
            assertThrows(SondeException.class, () -> m.update(new byte[8], m.value(), BpfMap.ANY));
            assertEquals(StructOpsLayout.STATE_INIT, m.state());
            assertNull(TYPE.registered());
            assertEquals(-1, call(5), "every refusal leaves the default in place");
        }
    }

    @Test
    void missingMandatoryCallbackIsEinval() {
        try (StructOpsMap m = create("so_mand")) {
            m.setCallback("note", (Note) x -> { }, 21);
            assertEquals(-Errno.EINVAL, m.attach());
            assertEquals(-Errno.EINVAL, m.update(key(0), value(0, 0, 0, 21), BpfMap.ANY));
            assertEquals(StructOpsLayout.STATE_INIT, m.state());
            assertEquals(1, m.refCount(), "a refused registration keeps no reference");
            assertEquals(-1, call(5));
            m.setCallback("apply", (Apply) x -> 2 * x, 22);
            assertEquals(0, m.attach(), "complete now, the same map registers");
            assertEquals(10, call(5));
            assertEquals(0, m.detach());
        }
    }

    @Test
    void lifeCycleInitInuseTobefree() throws Exception {
        List<Long> notes = new java.util.concurrent.CopyOnWriteArrayList<>();
        StructOpsMap m = create("so_life");
        m.setCallback("apply", (Apply) x -> x * 10, 31).setCallback("note", (Note) notes::add, 32);
        assertEquals(0, m.attach());
        assertEquals(StructOpsLayout.STATE_INUSE, m.state());
        assertSame(m, TYPE.registered());
        assertEquals(50, call(5));
        TYPE.current().note.note(3);
        assertEquals(List.of(3L), notes);

        byte[] v = new byte[16];
        assertEquals(0, m.lookup(key(0), v));
        assertArrayEquals(value(1, StructOpsLayout.STATE_INUSE, 31, 32), v, "refcnt 1: the registration's reference");
        assertEquals(2, m.refCount(), "the creator's reference and the subsystem's");

        assertEquals(-Errno.EBUSY, m.attach(), "registered once");
        assertThrows(SondeException.class, () -> m.setCallback("apply", (Apply) x -> 0, 33));
        try (StructOpsMap other = create("so_life_other")) {
            other.setCallback("apply", (Apply) x -> 0, 41);
            assertEquals(-Errno.EBUSY, other.attach(), "one registration per subsystem");
            assertEquals(StructOpsLayout.STATE_INIT, other.state());
            assertEquals(1, other.refCount());
        }

        try (StructOpsMap r = (StructOpsMap) Maps.open(m.path())) {
            assertTrue(r.readOnly());
            assertEquals(MapType.STRUCT_OPS, r.type());
            assertEquals("test_lifecycle_ops", r.structOpsName());
            assertEquals(2, r.slotCount());
            assertEquals("apply", r.slotName(0));
            assertTrue(r.slotMandatory(0));
            assertEquals("note", r.slotName(1));
            assertFalse(r.slotMandatory(1));
            byte[] rv = new byte[16];
            assertEquals(0, r.lookup(key(0), rv));
            assertArrayEquals(value(1, StructOpsLayout.STATE_INUSE, 31, 32), rv, "the file carries the registration");
            assertEquals(32, r.progId(r.slotIndex("note")));
            assertEquals(-Errno.EPERM, r.delete(key(0)));
            assertEquals(-Errno.EPERM, r.update(key(0), new byte[16], BpfMap.ANY));
        }

        m.close();
        assertFalse(m.isFreed(), "closing does not unregister: the subsystem holds a reference");
        assertEquals(50, call(5));
        assertTrue(Files.exists(m.path()));

        assertEquals(0, m.delete(key(7)), "delete ignores the key, as the kernel's");
        assertEquals(StructOpsLayout.STATE_TOBEFREE, m.state());
        assertNull(TYPE.registered());
        assertEquals(-1, call(5), "back to the default");
        assertEquals(-Errno.EINPROGRESS, m.delete(key(0)));
        assertEquals(-Errno.EBUSY, m.attach(), "a map is registered once in its life");
        assertTrue(m.isFreed(), "the subsystem's reference was the last");
        assertFalse(Files.exists(m.path()));
    }

    @Test
    void lookupShowsTobefreeAndCountsCallsInside() {
        try (StructOpsMap m = create("so_refs")) {
            AtomicReference<byte[]> inside = new AtomicReference<>();
            m.setCallback("apply", (Apply) x -> {
                byte[] v = new byte[16];
                assertEquals(0, m.lookup(key(0), v));
                inside.set(v);
                return x;
            }, 51);
            assertEquals(0, m.attach());
            assertEquals(9, call(9));
            assertEquals(2, intAt(inside.get(), 0), "the registration plus the call inside the subsystem");
            assertEquals(0, intAt(inside.get(), 3), "optional slot left empty shows program id 0");
            assertEquals(51, intAt(inside.get(), 2));
            assertEquals(0, m.detach());
            byte[] v = new byte[16];
            assertEquals(0, m.lookup(key(0), v));
            assertArrayEquals(value(0, StructOpsLayout.STATE_TOBEFREE, 51, 0), v);
        }
    }

    @Test
    void optionalSlotLeftEmptyRunsItsDefault() {
        try (StructOpsMap m = create("so_opt")) {
            m.setCallback("apply", (Apply) x -> x, 61);
            assertEquals(0, m.attach());
            assertSame(DEFAULT_NOTE, TYPE.current().note);
            assertEquals(0, m.progId(1));
            assertEquals(61, m.progId(0));
            assertEquals(0, m.detach());
        }
    }

    @Test
    void secondMapRegistersAfterTheFirstIsDeleted() {
        try (StructOpsMap a = create("so_seq_a"); StructOpsMap b = create("so_seq_b")) {
            a.setCallback("apply", (Apply) x -> 1, 71);
            b.setCallback("apply", (Apply) x -> 2, 72);
            assertEquals(0, a.attach());
            assertEquals(-Errno.EBUSY, b.attach());
            assertEquals(1, call(0));
            assertEquals(0, a.detach());
            assertEquals(0, b.attach());
            assertEquals(2, call(0));
            assertEquals(0, b.detach());
            assertEquals(-1, call(0));
        }
    }

    @Test
    void setCallbackAndTypeMisuseThrowWithTheFix() {
        try (StructOpsMap m = create("so_misuse")) {
            assertErrno(Errno.EINVAL, () -> m.setCallback("nope", (Apply) x -> x, 1));
            assertErrno(Errno.EINVAL, () -> m.setCallback("apply", (Note) x -> { }, 1));
            assertErrno(Errno.EINVAL, () -> m.setCallback("apply", (Apply) x -> x, 0));
        }
        assertErrno(Errno.EEXIST, () -> StructOpsType.builder("test_lifecycle_ops", TestOps::new)
                .mandatory("apply", Apply.class, DEFAULT_APPLY).register());
        assertErrno(Errno.EINVAL, () -> StructOpsType.builder("test_bad_ops", TestOps::new)
                .slot("apply", Runnable.class, true, DEFAULT_APPLY));
        assertErrno(Errno.EINVAL, () -> StructOpsType.builder("test_bad_ops", TestOps::new)
                .slot("apply", String.class, true, "x"));
        assertErrno(Errno.EINVAL, () -> StructOpsType.builder("test bad", TestOps::new)
                .mandatory("apply", Apply.class, DEFAULT_APPLY).register());
        assertErrno(Errno.EEXIST, () -> StructOpsType.builder("test_bad_ops", TestOps::new)
                .mandatory("apply", Apply.class, DEFAULT_APPLY).optional("apply", Apply.class, DEFAULT_APPLY));
        assertSame(TYPE, StructOpsType.byName("test_lifecycle_ops"));
        assertNull(StructOpsType.byName("test_bad_ops"));
    }

    private static void assertErrno(int errno, org.junit.jupiter.api.function.Executable e) {
        SondeException x = assertThrows(SondeException.class, e);
        assertEquals(errno, x.errno(), x.getMessage());
        assertTrue(x.getMessage().contains(";"), "the message names the fix: " + x.getMessage());
    }
}
