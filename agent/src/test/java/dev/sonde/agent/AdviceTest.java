package dev.sonde.agent;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.bridge.Hooks;
import dev.sonde.maps.BpfMap;
import dev.sonde.probes.AttachPoint;
import dev.sonde.probes.ProbeContext;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.Program;
import dev.sonde.probes.TargetMethod;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The inlined advice, applied with ByteBuddy to a copy of {@link Subject}: what programs see of each call. */
class AdviceTest {
    private static final int HOOK = 9001;

    /** The instrumented class: one method per argument shape. */
    public static class Subject {
        public static double mixed(int i, long l, double d, float f, boolean b, String s) {
            return i + l + d + f + (b ? 1 : 0) + s.length();
        }

        public long many(byte a, short b, char c, int d, long e, int f, int g) {
            return a + b + c + d + e + f + g;
        }

        public static void fails(int code) {
            throw new IllegalArgumentException("code " + code);
        }
    }

    /** Records every context it sees, as text (tests only). */
    private static final class Recorder extends Program {
        final List<String> seen = new ArrayList<>();

        Recorder(ProbeKind kind) {
            super("rec-" + kind.label(), "test", kind, new BpfMap[0]);
        }

        @Override
        public void run(ProbeContext c) {
            seen.add(c.kind().label() + " id=" + c.methodId() + " a0=" + c.argLong(0) + " a1=" + c.argLong(1)
                    + " a2=" + c.argDouble(2) + " a3=" + c.argFloat(3) + " a4=" + c.argBoolean(4) + " a5=" + c.argLong(5)
                    + " ret=" + c.retLong() + " retD=" + c.retDouble() + " timed=" + (c.durationNanos() >= 0)
                    + " thrown=" + (c.thrown() == null ? null : c.thrown().getClass().getSimpleName()));
        }
    }

    private final Recorder entry = new Recorder(ProbeKind.ENTRY);
    private final Recorder exit = new Recorder(ProbeKind.EXIT);
    private final Recorder exception = new Recorder(ProbeKind.EXCEPTION);

    @AfterEach
    void clear() {
        Hooks.set(HOOK, null);
    }

    private Class<?> instrumented(String method) {
        TargetMethod m = new TargetMethod(HOOK, Subject.class.getName(), method, "()V", new String[0], "void");
        Hooks.set(HOOK, new AttachPoint(m, new Program[] {entry}, new Program[] {exit}, new Program[] {exception}));
        return new ByteBuddy().redefine(Subject.class)
                .visit(AdviceMappings.advice(md -> HOOK).on(named(method)))
                .make()
                .load(new ClassLoader(AdviceTest.class.getClassLoader()) { }, ClassLoadingStrategy.Default.CHILD_FIRST)
                .getLoaded();
    }

    @Test
    void primitivesArriveAsRawBitsAndReferencesAsZero() throws Exception {
        Method m = instrumented("mixed").getMethod("mixed", int.class, long.class, double.class, float.class,
                boolean.class, String.class);
        double r = (double) m.invoke(null, -7, 1L << 40, 2.5, 1.5f, true, "abc");
        assertEquals(-7 + (1L << 40) + 2.5 + 1.5 + 1 + 3, r);
        assertEquals(List.of("entry id=9001 a0=-7 a1=1099511627776 a2=2.5 a3=1.5 a4=true a5=0 ret=0 retD=0.0 timed=false "
                + "thrown=null"), entry.seen);
        assertEquals(1, exit.seen.size());
        assertTrue(exit.seen.get(0).contains(" retD=" + r + " timed=true thrown=null"), exit.seen.get(0));
        assertTrue(exit.seen.get(0).contains("a0=-7 a1=1099511627776"), "exit sees the arguments too");
    }

    @Test
    void instanceMethodsPassTheirFirstSixArguments() throws Exception {
        Class<?> c = instrumented("many");
        Object o = c.getConstructor().newInstance();
        Method m = c.getMethod("many", byte.class, short.class, char.class, int.class, long.class, int.class, int.class);
        assertEquals(1L + 2 + 'A' + 4 + 5 + 6 + 7, m.invoke(o, (byte) 1, (short) 2, 'A', 4, 5L, 6, 7));
        assertTrue(entry.seen.get(0).startsWith("entry id=9001 a0=1 a1=2 "), entry.seen.get(0));
        assertTrue(entry.seen.get(0).contains(" a5=6 "), entry.seen.get(0));
        assertTrue(exit.seen.get(0).contains(" ret=" + (1L + 2 + 'A' + 4 + 5 + 6 + 7) + " "), exit.seen.get(0));
    }

    @Test
    void exceptionsReachExceptionProgramsAndStillReachTheCaller() throws Exception {
        Method m = instrumented("fails").getMethod("fails", int.class);
        InvocationTargetException e = assertThrows(InvocationTargetException.class, () -> m.invoke(null, 42));
        assertEquals("code 42", e.getCause().getMessage());
        assertEquals(1, exception.seen.size());
        assertTrue(exception.seen.get(0).startsWith("exception id=9001 a0=42"), exception.seen.get(0));
        assertTrue(exception.seen.get(0).endsWith("thrown=IllegalArgumentException"), exception.seen.get(0));
        assertEquals(List.of(), exit.seen, "exit programs run on normal returns only");
    }

    @Test
    void anEmptyHookRunsNothing() throws Exception {
        Method m = instrumented("mixed").getMethod("mixed", int.class, long.class, double.class, float.class,
                boolean.class, String.class);
        Hooks.set(HOOK, null);
        m.invoke(null, 1, 2L, 3.0, 4f, false, "");
        assertEquals(List.of(), entry.seen);
        assertNull(Hooks.get(HOOK));
    }
}
