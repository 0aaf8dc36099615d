package dev.sonde.probes.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.maps.MapType;
import dev.sonde.maps.SondeException;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.config.ProbeFileException;
import dev.sonde.probes.config.ProbeFileParser;
import dev.sonde.probes.testing.FakeMap;
import dev.sonde.probes.testing.FakeMaps;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProbeLoaderTest {
    private static final String MAPS = String.join("\n",
            "maps:",
            "  - {name: calls, type: hash, keySize: 8, valueSize: 8, maxEntries: 16}",
            "  - {name: lat, type: percpu_array, keySize: 4, valueSize: 8, maxEntries: 64}",
            "  - {name: sums, type: hash, keySize: 8, valueSize: 16, maxEntries: 16}",
            "  - {name: k4, type: hash, keySize: 4, valueSize: 8, maxEntries: 4}",
            "");

    @TempDir
    Path dir;

    private FakeMaps maps;

    private LoadedProbes load(String probes) {
        maps = new FakeMaps(dir);
        return new ProbeLoader(maps, getClass().getClassLoader())
                .load(ProbeFileParser.parse("p.yaml", MAPS + "probes:\n" + probes, false));
    }

    private ProbeFileException refused(String probes) {
        ProbeFileException e = assertThrows(ProbeFileException.class, () -> load(probes));
        for (FakeMap m : maps.created) {
            assertTrue(m.isFreed(), "map '" + m.name() + "' must be freed after a refused load");
        }
        assertFalse(e.getMessage().contains("\n"));
        return e;
    }

    private static TargetMethod method(String... params) {
        return new TargetMethod(7, "com.example.Calc", "add", "(..)V", params, "void");
    }

    @Test
    void loadsBuiltinsAndJavaProgramsWithTheirMaps() {
        try (LoadedProbes p = load(String.join("\n",
                "  - {class: com.example.Calc, method: add, program: count, maps: [calls], options: {arg: 1}}",
                "  - {class: com.example.Calc, program: latency, maps: [lat]}",
                "  - {program: dev.sonde.probes.load.SamplePrograms$SumArgs}",
                ""))) {
            assertEquals(4, p.bindings().size());
            assertEquals("count", p.bindings().get(0).program().type());
            assertEquals("count#0", p.bindings().get(0).program().name());
            assertTrue(p.bindings().get(1).matchesMethod("anything", "()V"));
            Binding entry = p.bindings().get(2).program().kind() == ProbeKind.ENTRY ? p.bindings().get(2)
                    : p.bindings().get(3);
            assertEquals("SumArgs.entry", entry.program().name());
            assertTrue(entry.type().matchesName("com.example.Calc"));
            assertEquals(4, p.maps().size());
            assertEquals(2, maps.get("calls").refCount(), "the creator's reference and the program's");
        }
        for (FakeMap m : maps.created) {
            assertTrue(m.isFreed(), m.name());
        }
    }

    @Test
    void refusesAMissingMapAtTheProbe() {
        ProbeFileException e = refused("  - {class: a.B, program: count, maps: [nope]}\n");
        assertEquals(7, e.line());
        assertTrue(e.getMessage().contains("map 'nope' is not declared; add it under maps:"), e.getMessage());
    }

    @Test
    void refusesMapsOfTheWrongTypeOrSize() {
        ProbeFileException count = refused("  - {class: a.B, program: count, maps: [k4]}\n");
        assertTrue(count.getMessage().contains("'k4' has keySize 4; declare keySize: 8"), count.getMessage());
        ProbeFileException lat = refused("  - {class: a.B, program: latency, maps: [calls]}\n");
        assertTrue(lat.getMessage().contains("declare it as array or percpu_array"), lat.getMessage());
        ProbeFileException java = refused("  - {program: dev.sonde.probes.load.SamplePrograms$WantsArray}\n");
        assertTrue(java.getMessage().contains("'sums' is a hash map; declare it as array"), java.getMessage());
    }

    @Test
    void refusesBadOptionsProgramsAndSignatures() {
        assertTrue(refused("  - {class: a.B, program: count, maps: [calls], options: {arg: 9}}\n").getMessage()
                .contains("option arg: 9 is out of range"));
        assertTrue(refused("  - {class: a.B, program: count, maps: [calls], options: {arg: x}}\n").getMessage()
                .contains("option arg: 'x' must be a whole number"));
        assertTrue(refused("  - {class: a.B, program: count, maps: [calls], options: {by: 1}}\n").getMessage()
                .contains("option 'by' is unknown to program count; valid options: arg"));
        assertTrue(refused("  - {class: a.B, program: histogram, maps: [lat]}\n").getMessage()
                .contains("neither a built-in"));
        assertTrue(refused("  - {class: a.B, program: count, maps: [calls, lat]}\n").getMessage()
                .contains("takes 1 map(s)"));
        assertTrue(refused("  - {program: count, maps: [calls]}\n").getMessage().contains("needs class:"));
        assertTrue(refused("  - {program: dev.sonde.probes.load.SamplePrograms$BadSignature}\n").getMessage()
                .contains("must be declared public static void entry(ProbeContext ctx)"));
    }

    @Test
    void aLaterRefusalFreesTheMapsAndProgramsOfEarlierProbes() {
        refused(String.join("\n",
                "  - {class: a.B, program: count, maps: [calls]}",
                "  - {class: a.B, program: latency, maps: [missing]}",
                ""));
        assertEquals(4, maps.created.size());
    }

    @Test
    void targetChecksRefuseArgumentsTheMethodDoesNotHave() {
        try (LoadedProbes p = load(String.join("\n",
                "  - {class: com.example.Calc, program: count, maps: [calls], options: {arg: 1}}",
                "  - {program: dev.sonde.probes.load.SamplePrograms$SumArgs}",
                ""))) {
            var count = p.bindings().get(0).program();
            count.checkTarget(method("long", "int"));
            SondeException few = assertThrows(SondeException.class, () -> count.checkTarget(method("long")));
            assertTrue(few.getMessage().contains("has 1 parameters; pick an argument index below 1"), few.getMessage());
            SondeException type = assertThrows(SondeException.class,
                    () -> count.checkTarget(method("long", "java.lang.String")));
            assertTrue(type.getMessage().contains("count keys by an integral argument"), type.getMessage());
            var sum = p.bindings().stream().filter(b -> b.program().name().equals("SumArgs.entry")).findFirst()
                    .orElseThrow().program();
            sum.checkTarget(method("long"));
            SondeException java = assertThrows(SondeException.class, () -> sum.checkTarget(method("int")));
            assertTrue(java.getMessage().contains("reads argument 0 as long but it is a int"), java.getMessage());
        }
    }

    @Test
    void anExistingCompatibleMapIsSharedAndAnIncompatibleOneRefused() {
        maps = new FakeMaps(dir);
        ProbeLoader loader = new ProbeLoader(maps, getClass().getClassLoader());
        String file = MAPS + "probes:\n  - {class: a.B, program: count, maps: [calls]}\n";
        try (LoadedProbes first = loader.load(ProbeFileParser.parse("p.yaml", file, false));
                LoadedProbes second = loader.load(ProbeFileParser.parse("p.yaml", file, false))) {
            assertEquals(first.maps().get(0), second.maps().get(0));
            assertEquals(MapType.HASH, second.maps().get(0).type());
            String other = "maps:\n  - {name: calls, type: hash, keySize: 8, valueSize: 16, maxEntries: 16}\n";
            ProbeFileException e = assertThrows(ProbeFileException.class,
                    () -> loader.load(ProbeFileParser.parse("q.yaml", other, false)));
            assertTrue(e.getMessage().startsWith("q.yaml:2:5: map 'calls' already exists"), e.getMessage());
        }
    }
}
