package dev.sonde.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.SondeException;
import dev.sonde.probes.builtin.Count;
import dev.sonde.probes.builtin.Exceptions;
import dev.sonde.probes.builtin.Latency;
import dev.sonde.maps.Log2Histogram;
import dev.sonde.probes.builtin.NameHash;
import dev.sonde.probes.builtin.NameTableLayout;
import dev.sonde.probes.testing.FakeMap;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuiltinsTest {
    @TempDir
    Path dir;

    private static final TargetMethod ADD = new TargetMethod(3, "com.example.Calc", "add", "(JI)J",
            new String[] {"long", "int"}, "long");
    private static final TargetMethod SUB = new TargetMethod(4, "com.example.Calc", "sub", "(JI)J",
            new String[] {"long", "int"}, "long");

    private FakeMap map(String name, MapType type, int keySize, int valueSize, int entries) {
        return FakeMap.create(dir, MapSpec.builder(type).name(name).keySize(keySize).valueSize(valueSize)
                .maxEntries(entries).numShards(1).build());
    }

    private static AttachPoint entry(TargetMethod m, Program p) {
        return new AttachPoint(m, new Program[] {p}, new Program[0], new Program[0]);
    }

    private FakeMap flagged(String name, long flags) {
        return FakeMap.create(dir, MapSpec.builder(MapType.ARRAY).name(name).keySize(4).valueSize(8).maxEntries(64)
                .numShards(1).flags(flags).build());
    }

    @Test
    void programsAreRefusedMapsTheirFlagsForbidThemAndJavaProgramsGetEacces() {
        FakeMap ro = flagged("ro", MapSpec.F_RDONLY_PROG);
        FakeMap wo = flagged("wo", MapSpec.F_WRONLY_PROG);
        SondeException e = assertThrows(SondeException.class, () -> new Count("c", ro, 0));
        assertEquals(dev.sonde.maps.Errno.EACCES, e.errno());
        assertEquals("program 'c' refused: it writes its counts map 'ro', created with F_RDONLY_PROG (programs may "
                + "only read it); drop the flag or give the program another map", e.getMessage());
        e = assertThrows(SondeException.class, () -> new Latency("l", wo));
        assertEquals(dev.sonde.maps.Errno.EACCES, e.errno());
        assertEquals(true, e.getMessage().contains("it reads its histogram map 'wo', created with F_WRONLY_PROG"),
                e.getMessage());

        long[] seen = new long[3];
        Program java = new Program("j", "java", ProbeKind.ENTRY, new dev.sonde.maps.BpfMap[] {ro, wo}) {
            @Override
            public void run(ProbeContext ctx) {
                seen[0] = ctx.add(0, 1, 0, 1);
                seen[1] = ctx.putLong(1, 1, 0, 42);
                seen[2] = ctx.getLong(1, 1, 0, -7);
            }
        };
        try {
            entry(ADD, java).enter(0, 0, 0, 0, 0, 0);
            assertEquals(-dev.sonde.maps.Errno.EACCES, seen[0], "an atomic add on a read-only map");
            assertEquals(0, seen[1], "writing a write-only map is allowed");
            assertEquals(-7, seen[2], "reading a write-only map gives the default");
            assertEquals(0, ro.longAt(1, 0));
        } finally {
            java.close();
        }
    }

    @Test
    void countCountsCallsPerMethod() {
        FakeMap calls = map("calls", MapType.HASH, 8, 8, 16);
        try (Count c = new Count("c", calls, Count.NO_ARG)) {
            AttachPoint add = entry(ADD, c);
            AttachPoint sub = entry(SUB, c);
            for (int i = 0; i < 5; i++) {
                add.enter(i, 0, 0, 0, 0, 0);
            }
            sub.enter(0, 0, 0, 0, 0, 0);
            assertEquals(5, calls.longAt(3, 0));
            assertEquals(1, calls.longAt(4, 0));
            assertEquals(2, calls.size());
            assertEquals(6, c.stats().runCount());
        }
    }

    @Test
    void countByArgumentKeysByItsValueAndCountsAFullHash() {
        FakeMap calls = map("calls", MapType.HASH, 8, 8, 3);
        try (Count c = new Count("c", calls, 1)) {
            c.checkTarget(ADD);
            AttachPoint add = entry(ADD, c);
            for (int i = 0; i < 10; i++) {
                add.enter(100, i % 4 - 1, 0, 0, 0, 0); // -1, 0, 1, 2, -1, ...
            }
            assertEquals(3, calls.longAt(-1, 0));
            assertEquals(3, calls.longAt(0, 0));
            assertEquals(2, calls.longAt(1, 0));
            assertEquals(-1, calls.longAt(2, 0), "the fourth key does not fit a 3-entry hash");
            assertEquals(2, c.stats().mapErrors());
            assertEquals(0, c.stats().errors());
        }
    }

    @Test
    void countIntoAnArrayElementByArgument() {
        FakeMap arr = map("arr", MapType.ARRAY, 4, 8, 2);
        try (Count c = new Count("c", arr, 1)) {
            AttachPoint add = entry(ADD, c);
            for (int i = 0; i < 9; i++) {
                add.enter(0, i % 3, 0, 0, 0, 0); // 0, 1, 2: the array holds keys 0 and 1 only
            }
            assertEquals(3, arr.longAt(0, 0));
            assertEquals(3, arr.longAt(1, 0));
            assertEquals(3, c.stats().mapErrors());
        }
    }

    @Test
    void latencyFillsLog2Buckets() {
        FakeMap lat = map("lat", MapType.PERCPU_ARRAY, 4, 8, Log2Histogram.BUCKETS);
        try (Latency l = new Latency("l", lat)) {
            ProbeContext ctx = new ProbeContext();
            ctx.set(ADD, ProbeKind.EXIT, 0, 0, 0, 0, 0, 0);
            long[] durations = {0, 1, 2, 3, 4, 1023, 1024, 1025, 2047, 1_000_000, Long.MAX_VALUE, -1};
            for (long d : durations) {
                ctx.setExit(0, d, null);
                l.run(ctx);
            }
            assertEquals(1, lat.longAt(0, 0)); // 0
            assertEquals(1, lat.longAt(1, 0)); // 1
            assertEquals(2, lat.longAt(2, 0)); // 2, 3
            assertEquals(1, lat.longAt(3, 0)); // 4
            assertEquals(1, lat.longAt(10, 0)); // 1023 in [512, 1024)
            assertEquals(3, lat.longAt(11, 0)); // 1024, 1025, 2047 in [1024, 2048)
            assertEquals(1, lat.longAt(20, 0)); // 1e6 in [2^19, 2^20)
            assertEquals(1, lat.longAt(63, 0)); // Long.MAX_VALUE
            long total = 0;
            for (int i = 0; i < Log2Histogram.BUCKETS; i++) {
                total += lat.longAt(i, 0);
            }
            assertEquals(durations.length - 1, total, "an untimed call (-1) is not counted");
        }
    }

    @Test
    void latencyClampsToTheLastBucketOfASmallArray() {
        FakeMap lat = map("lat", MapType.ARRAY, 4, 8, 4);
        try (Latency l = new Latency("l", lat)) {
            ProbeContext ctx = new ProbeContext();
            ctx.set(ADD, ProbeKind.EXIT, 0, 0, 0, 0, 0, 0);
            ctx.setExit(0, 1 << 20, null);
            l.run(ctx);
            assertEquals(1, lat.longAt(3, 0));
        }
    }

    @Test
    void latencyThroughAnAttachPointMeasuresEntryToExit() {
        FakeMap lat = map("lat", MapType.PERCPU_ARRAY, 4, 8, Log2Histogram.BUCKETS);
        try (Latency l = new Latency("l", lat)) {
            AttachPoint ap = new AttachPoint(ADD, new Program[0], new Program[] {l}, new Program[0]);
            long start = ap.enter(0, 0, 0, 0, 0, 0);
            ap.exit(start, 0, null, 0, 0, 0, 0, 0, 0);
            ap.exit(AttachPoint.NO_START, 0, null, 0, 0, 0, 0, 0, 0);
            long total = 0;
            for (int i = 0; i < Log2Histogram.BUCKETS; i++) {
                total += lat.longAt(i, 0);
            }
            assertEquals(1, total);
        }
    }

    @Test
    void exceptionsCountByClassAndFillTheNameTable() {
        FakeMap counts = map("exc", MapType.HASH, 8, 8, 16);
        FakeMap names = map("excnames", MapType.HASH, 8, 24, 16);
        try (Exceptions e = new Exceptions("e", counts, names)) {
            AttachPoint ap = new AttachPoint(ADD, new Program[0], new Program[0], new Program[] {e});
            for (int i = 0; i < 3; i++) {
                ap.exit(AttachPoint.NO_START, 0, new IllegalStateException("x"), 0, 0, 0, 0, 0, 0);
            }
            ap.exit(AttachPoint.NO_START, 0, new ArithmeticException(), 0, 0, 0, 0, 0, 0);
            ap.exit(AttachPoint.NO_START, 0, null, 0, 0, 0, 0, 0, 0);
            long ise = NameHash.of("java.lang.IllegalStateException");
            long ae = NameHash.of("java.lang.ArithmeticException");
            assertEquals(3, counts.longAt(ise, 0));
            assertEquals(1, counts.longAt(ae, 0));
            assertEquals(2, counts.size());
            assertEquals("java.lang.Illeg", NameTableLayout.get(names, names.lookupElem(ise)).substring(0, 15));
            FakeMap wide = map("wide", MapType.HASH, 8, 64, 4);
            NameTableLayout.put(wide, ae, "java.lang.ArithmeticException");
            assertEquals("java.lang.ArithmeticException", NameTableLayout.get(wide, wide.lookupElem(ae)));
            NameTableLayout.put(wide, 1, "é€𝄞");
            assertEquals("é€𝄞", NameTableLayout.get(wide, wide.lookupElem(1)));
        }
    }

    @Test
    void nameHashIsFnv1a64OverUtf8() {
        assertEquals(0xcbf29ce484222325L, NameHash.of(""));
        assertEquals(0xaf63dc4c8601ec8cL, NameHash.of("a"));
        assertEquals(0x85944171f73967e8L, NameHash.of("foobar"));
        long h = 0xcbf29ce484222325L;
        for (byte b : "é€𝄞x".getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        }
        assertEquals(h, NameHash.of("é€𝄞x"), "hashing the chars of a string equals hashing its UTF-8 bytes");
    }

    @Test
    void textWritesDecimalsAndTruncatesWithoutOverflowing() {
        byte[] b = new byte[64];
        for (long v : new long[] {0, 7, -7, 10, 1234567890123L, Long.MAX_VALUE, Long.MIN_VALUE}) {
            int n = dev.sonde.probes.builtin.Text.putLong(b, 3, v);
            assertEquals(Long.toString(v), new String(b, 3, n - 3, java.nio.charset.StandardCharsets.US_ASCII));
        }
        int p = dev.sonde.probes.builtin.Text.putAscii(b, 0, "x".repeat(100) + "é");
        assertEquals(64 - 24, p, "leaves room for a number and the newline");
        assertEquals(2, dev.sonde.probes.builtin.Text.putAscii(b, 0, "aé"));
        assertEquals('?', b[1]);
    }

    @Test
    void log2Buckets() {
        assertEquals(0, Log2Histogram.bucket(0));
        assertEquals(1, Log2Histogram.bucket(1));
        assertEquals(2, Log2Histogram.bucket(3));
        assertEquals(3, Log2Histogram.bucket(4));
        assertEquals(63, Log2Histogram.bucket(Long.MAX_VALUE));
        for (int i = 1; i < 63; i++) {
            assertEquals(i, Log2Histogram.bucket(Log2Histogram.lowerBound(i)));
            assertEquals(i, Log2Histogram.bucket(Log2Histogram.lowerBound(i + 1) - 1));
        }
    }

    @Test
    void builtinsRefuseWrongMaps() {
        FakeMap arr = map("arr", MapType.ARRAY, 8, 8, 4);
        FakeMap hash = map("h", MapType.HASH, 4, 8, 4);
        FakeMap small = map("small", MapType.HASH, 8, 8, 4);
        assertThrows(SondeException.class, () -> new Count("c", arr, Count.NO_ARG));
        assertThrows(SondeException.class, () -> new Count("c", hash, Count.NO_ARG));
        assertThrows(SondeException.class, () -> new Latency("l", small));
        assertThrows(SondeException.class, () -> new Exceptions("e", small, small));
        assertEquals(1, small.refCount(), "a refused program keeps no reference");
    }
}
