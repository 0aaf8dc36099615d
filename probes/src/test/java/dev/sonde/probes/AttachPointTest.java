package dev.sonde.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.maps.BpfMap;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AttachPointTest {
    private static final TargetMethod M = new TargetMethod(1, "a.B", "m", "(IJZD)V",
            new String[] {"int", "long", "boolean", "double"}, "void");

    /** A program running {@code body}; tests only (the lambda allocates nothing per run either). */
    private static Program program(String name, ProbeKind kind, ProbeFunction body) {
        return new Program(name, "test", kind, new BpfMap[0]) {
            @Override
            public void run(ProbeContext ctx) {
                body.run(ctx);
            }
        };
    }

    @Test
    void programsSeeArgumentsReturnValueAndDuration() {
        long[] seen = new long[8];
        Program in = program("in", ProbeKind.ENTRY, ctx -> {
            seen[0] = ctx.argInt(0);
            seen[1] = ctx.argLong(1);
            seen[2] = ctx.argBoolean(2) ? 1 : 0;
            seen[3] = (long) ctx.argDouble(3);
            seen[4] = ctx.methodId();
            seen[5] = ctx.argCount();
        });
        Program out = program("out", ProbeKind.EXIT, ctx -> {
            seen[6] = ctx.retLong();
            seen[7] = ctx.durationNanos();
        });
        AttachPoint ap = new AttachPoint(M, new Program[] {in}, new Program[] {out}, new Program[0]);
        long start = ap.enter(-5, 1L << 40, 1, Double.doubleToRawLongBits(2.5), 0, 0);
        ap.exit(start, 42, null, 0, 0, 0, 0, 0, 0);
        assertEquals(-5, seen[0]);
        assertEquals(1L << 40, seen[1]);
        assertEquals(1, seen[2]);
        assertEquals(2, seen[3]);
        assertEquals(1, seen[4]);
        assertEquals(4, seen[5]);
        assertEquals(42, seen[6]);
        assertTrue(seen[7] >= 0);
    }

    @Test
    void aThrowingProgramIsCountedAndSwitchedOffOnceAfterTheThreshold() {
        AtomicInteger runs = new AtomicInteger();
        Program bad = new Program("bad", "test", ProbeKind.ENTRY, new BpfMap[0]) {
            @Override
            public void run(ProbeContext ctx) {
                runs.incrementAndGet();
                throw new IllegalStateException("boom");
            }
        };
        AtomicInteger goodRuns = new AtomicInteger();
        Program good = program("good", ProbeKind.ENTRY, ctx -> goodRuns.incrementAndGet());
        AttachPoint ap = new AttachPoint(M, new Program[] {bad, good}, new Program[0], new Program[0]);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < 250; i++) {
                ap.enter(0, 0, 0, 0, 0, 0); // never throws
            }
        } finally {
            System.setErr(err);
        }
        int max = bad.stats().maxConsecutiveErrors();
        assertEquals(100, max);
        assertEquals(max, runs.get());
        assertEquals(max, bad.stats().errors());
        assertEquals(max, bad.stats().runCount());
        assertEquals("disabled", bad.stats().stateName());
        assertEquals(250, goodRuns.get(), "a failing program does not stop the others");
        String out = captured.toString(StandardCharsets.UTF_8);
        assertEquals(1, out.split("\n").length, out);
        assertTrue(out.startsWith("sonde: program 'bad' switched off after 100 consecutive errors"), out);
        assertTrue(bad.stats().lastError().contains("boom"));
    }

    @Test
    void aSuccessResetsTheStreak() {
        int[] n = {0};
        Program flaky = program("flaky", ProbeKind.ENTRY, ctx -> {
            if (++n[0] % 2 == 0) {
                throw new IllegalStateException();
            }
        });
        AttachPoint ap = new AttachPoint(M, new Program[] {flaky}, new Program[0], new Program[0]);
        for (int i = 0; i < 400; i++) {
            ap.enter(0, 0, 0, 0, 0, 0);
        }
        assertEquals(200, flaky.stats().errors());
        assertTrue(flaky.stats().enabled());
    }

    @Test
    void aProbeHitFromInsideAProgramIsSkippedAndCounted() {
        AtomicInteger inner = new AtomicInteger();
        Program innerProg = program("inner", ProbeKind.ENTRY, ctx -> inner.incrementAndGet());
        AttachPoint innerAp = new AttachPoint(M, new Program[] {innerProg}, new Program[0], new Program[0]);
        Program outer = program("outer", ProbeKind.ENTRY, ctx -> innerAp.enter(0, 0, 0, 0, 0, 0));
        AttachPoint outerAp = new AttachPoint(M, new Program[] {outer}, new Program[0], new Program[0]);
        outerAp.enter(0, 0, 0, 0, 0, 0);
        assertEquals(0, inner.get());
        assertEquals(1, innerProg.stats().recursionMisses());
        innerAp.enter(0, 0, 0, 0, 0, 0);
        assertEquals(1, inner.get(), "the context is released after the outer program");
    }

    @Test
    void closedProgramsStopRunningAndOnlyExitProgramsTimeTheEntry() {
        AtomicInteger runs = new AtomicInteger();
        Program p = program("p", ProbeKind.ENTRY, ctx -> runs.incrementAndGet());
        AttachPoint ap = new AttachPoint(M, new Program[] {p}, new Program[0], new Program[0]);
        assertEquals(AttachPoint.NO_EXIT, ap.enter(0, 0, 0, 0, 0, 0), "no exit program: the advice skips the exit");
        p.close();
        ap.enter(0, 0, 0, 0, 0, 0);
        assertEquals(1, runs.get());
        assertEquals("detached", p.stats().stateName());
        assertEquals(AttachPoint.NO_EXIT, new AttachPoint(M, new Program[0], new Program[0], new Program[0])
                .enter(0, 0, 0, 0, 0, 0));
        Program th = program("th", ProbeKind.EXCEPTION, ctx -> { });
        long start = new AttachPoint(M, new Program[0], new Program[0], new Program[] {th}).enter(0, 0, 0, 0, 0, 0);
        assertTrue(start != AttachPoint.NO_START && start != AttachPoint.NO_EXIT,
                "an exception program sees the duration so far: the entry is timed");
    }

    /** A context-free program: counts its entries and exits, throws when told to. */
    private static final class Direct extends Program {
        final long[] seen = new long[3];
        int viaContext;
        boolean fail;

        Direct(ProbeKind kind) {
            super("direct", "test", kind, new BpfMap[0]);
        }

        @Override
        public boolean runsWithoutContext() {
            return true;
        }

        @Override
        public void runEntry(int methodId, long a0, long a1, long a2, long a3, long a4, long a5) {
            if (fail) {
                throw new IllegalStateException("boom");
            }
            seen[0] += a1;
            seen[1] = methodId;
        }

        @Override
        public void runExit(int methodId, long durationNanos) {
            seen[2] = durationNanos;
        }

        @Override
        public void run(ProbeContext ctx) {
            viaContext++;
            runEntry(ctx.methodId(), ctx.argLong(0), ctx.argLong(1), 0, 0, 0, 0);
        }
    }

    @Test
    void contextFreeProgramsRunWithoutTheContextAndKeepTheirStatsAndSafety() {
        Direct in = new Direct(ProbeKind.ENTRY);
        Direct out = new Direct(ProbeKind.EXIT);
        AttachPoint ap = new AttachPoint(M, new Program[] {in}, new Program[] {out}, new Program[0]);
        long start = ap.enter(0, 7, 0, 0, 0, 0);
        ap.exit(start, 0, null, 0, 7, 0, 0, 0, 0);
        assertEquals(7, in.seen[0]);
        assertEquals(1, in.seen[1]);
        assertTrue(out.seen[2] >= 0, "the exit program got a duration");
        assertEquals(1, in.stats().runCount());
        assertEquals(1, out.stats().runCount());
        assertEquals(0, in.viaContext + out.viaContext, "neither went through the context");
        in.fail = true;
        PrintStream err = System.err;
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < 150; i++) {
                ap.enter(0, 7, 0, 0, 0, 0); // never throws
            }
        } finally {
            System.setErr(err);
        }
        assertEquals(100, in.stats().errors());
        assertEquals("disabled", in.stats().stateName());
    }

    @Test
    void aMixOfContextFreeAndOrdinaryProgramsRunsEachItsWay() {
        Direct in = new Direct(ProbeKind.ENTRY);
        AtomicInteger ordinary = new AtomicInteger();
        Program p = program("p", ProbeKind.ENTRY, ctx -> ordinary.addAndGet((int) ctx.argLong(1)));
        new AttachPoint(M, new Program[] {in, p}, new Program[0], new Program[0]).enter(0, 5, 0, 0, 0, 0);
        assertEquals(5, ordinary.get());
        assertEquals(5, in.seen[0]);
        assertEquals(1, in.viaContext, "in a mixed set it goes through run(ctx), under the recursion guard");
    }
}
