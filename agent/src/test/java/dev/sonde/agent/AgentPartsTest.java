package dev.sonde.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import dev.sonde.probes.load.Binding;
import dev.sonde.probes.load.ClassPattern;
import dev.sonde.probes.load.MethodPattern;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AgentPartsTest {
    @Test
    void agentArgumentsAreKeyValuePairs() {
        AgentArgs a = AgentArgs.parse("config=/x/probes.yaml,dir=/tmp/s,failFast=true");
        assertEquals("/x/probes.yaml", a.config());
        assertEquals("/tmp/s", a.dir());
        assertTrue(a.failFast());
        assertNull(AgentArgs.parse(null).config());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentArgs.parse("conf=x"));
        assertTrue(e.getMessage().contains("'conf' is unknown; use config=, dir=, failFast=, or a sonde.* / otel.* "
                + "setting"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AgentArgs.parse("probes.yaml"));
        AgentArgs esc = AgentArgs.parse("config=/x/a\\,b.yaml,otel.resource.attributes=team=shop\\,env=prod,dir=C:\\\\s");
        assertEquals("/x/a,b.yaml", esc.config());
        assertEquals("team=shop,env=prod", esc.settings().get("otel.resource.attributes"));
        assertEquals("C:\\s", esc.dir());
    }

    @Test
    void sondeAndOtelArgumentsAreExportSettingsAndTurnExportOn() {
        AgentArgs a = AgentArgs.parse("config=p.yaml,sonde.export.file=o.jsonl,otel.service.name=shop");
        assertEquals(java.util.Map.of("sonde.export.file", "o.jsonl", "otel.service.name", "shop"), a.settings());
        assertTrue(AgentExport.wanted(a.settings()));
        assertTrue(AgentExport.wanted(java.util.Map.of("otel.exporter.otlp.endpoint", "http://127.0.0.1:4318")));
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == null
                && System.getProperty("otel.exporter.otlp.endpoint") == null && System.getenv("SONDE_EXPORT_FILE") == null
                && System.getProperty("sonde.export.file") == null, "export configured around the build");
        assertFalse(AgentExport.wanted(AgentArgs.parse("config=p.yaml,otel.service.name=shop").settings()),
                "nothing to export to: off");
    }

    @Test
    void theBootstrapJarHoldsTheBridgeMapsAndProgramApiButNotTheJacksonSide() {
        assertTrue(BootstrapJar.bootstrap("dev/sonde/bridge/Hooks.class"));
        assertTrue(BootstrapJar.bootstrap("dev/sonde/maps/BpfMap.class"));
        assertTrue(BootstrapJar.bootstrap("dev/sonde/probes/ProbeContext.class"));
        assertTrue(BootstrapJar.bootstrap("dev/sonde/probes/builtin/Count.class"));
        assertFalse(BootstrapJar.bootstrap("dev/sonde/probes/config/ProbeFileParser.class"));
        assertFalse(BootstrapJar.bootstrap("dev/sonde/probes/load/ProbeLoader.class"));
        assertFalse(BootstrapJar.bootstrap("dev/sonde/agent/AgentRuntime.class"));
        assertFalse(BootstrapJar.bootstrap("dev/sonde/shaded/jackson/databind/ObjectMapper.class"));
    }

    @Test
    void theBridgeSwallowsFailuresAndGrowsItsTable() {
        TargetMethod m = new TargetMethod(5000, "a.B", "m", "()V", new String[0], "void");
        Program p = new Program("p", "test", ProbeKind.ENTRY, new BpfMap[0]) {
            @Override
            public void run(ProbeContext ctx) {
                throw new IllegalStateException();
            }
        };
        // An attach point whose exit itself fails (null method for the context): the bridge counts it.
        AttachPoint broken = new AttachPoint(null, new Program[0], new Program[] {p}, new Program[0]);
        Hooks.set(5000, new AttachPoint(m, new Program[] {p}, new Program[0], new Program[0]));
        Hooks.set(5001, broken);
        try {
            assertEquals(AttachPoint.NO_EXIT, Hooks.enter(5000, 0, 0, 0, 0, 0, 0));
            assertEquals(1, p.stats().errors());
            long before = Hooks.bridgeErrors();
            Hooks.exit(5001, AttachPoint.NO_START, 0, null, 0, 0, 0, 0, 0, 0);
            assertEquals(before, Hooks.bridgeErrors(), "a program's own failure is the program's, not the bridge's");
            assertEquals(AttachPoint.NO_EXIT, Hooks.enter(1 << 20, 0, 0, 0, 0, 0, 0), "an id past the table");
        } finally {
            Hooks.set(5000, null);
            Hooks.set(5001, null);
        }
    }

    @Test
    void hookIdsAreStableAndRebindReplacesAttachedPrograms() {
        HookTable t = new HookTable();
        TargetMethod a = t.register("a.B", Set.of("a.B", "a.I"), "m", "(I)V", new String[] {"int"}, "void");
        assertEquals(a, t.register("a.B", Set.of(), "m", "(I)V", new String[] {"int"}, "void"));
        TargetMethod b = t.register("a.B", Set.of(), "n", "()V", new String[0], "void");
        assertEquals(a.hookId() + 1, b.hookId());
        assertEquals(a.hookId(), t.idOf("a.B", "m", "(I)V"));
        assertEquals(0, t.idOf("a.B", "x", "()V"));
        assertEquals(Set.of("a.B", "a.I"), t.superTypes("a.B"));

        Program p1 = program("p1");
        Binding b1 = new Binding(ClassPattern.of("a.I+"), MethodPattern.of("m"), null, p1);
        t.attach(a, List.of(b1));
        assertEquals(1, Hooks.get(a.hookId()) == null ? 0 : 1);
        assertEquals(List.of(a.hookId()), t.hooksOf(p1));
        Program p2 = program("p2");
        Binding b2 = new Binding(ClassPattern.of("a.B"), MethodPattern.of("*"), null, p2);
        t.rebind(m -> List.of(b2));
        assertEquals(List.of(), t.hooksOf(p1));
        assertEquals(List.of(a.hookId(), b.hookId()), t.hooksOf(p2));
        t.rebind(m -> List.of());
        assertNull(Hooks.get(a.hookId()));
        assertTrue(Instrumenter.typeMatches(b1, "a.C", Set.of("a.C", "a.I")));
        assertFalse(Instrumenter.typeMatches(b1, "a.D", Set.of("a.D")));
    }

    private static Program program(String name) {
        return new Program(name, "test", ProbeKind.ENTRY, new BpfMap[0]) {
            @Override
            public void run(ProbeContext ctx) {
            }
        };
    }
}
