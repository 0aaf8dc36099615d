package dev.sonde.probes.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.maps.Maps;
import dev.sonde.probes.builtin.Exceptions;
import dev.sonde.probes.config.ProbeFileException;
import dev.sonde.probes.config.ProbeFileParser;
import org.junit.jupiter.api.Test;

/** The {@code exceptions} program's {@code dump} option against real maps: accepted, or refused at its probe. */
class DumpOptionTest {
    private static final String MAPS = String.join("\n",
            "maps:",
            "  - {name: do_exc, type: hash, keySize: 8, valueSize: 8, maxEntries: 16}",
            "  - {name: do_flight, type: relay, subbufSize: 4096, nSubbufs: 4, numShards: 1, overwrite: true}",
            "probes:",
            "");

    private static LoadedProbes load(String probe) {
        return new ProbeLoader(MapSource.MAPS, DumpOptionTest.class.getClassLoader())
                .load(ProbeFileParser.parse("d.yaml", MAPS + probe + "\n", false));
    }

    /** The probe line is line 5, its mapping starts at column 5. */
    private static String refused(String dump) {
        ProbeFileException e = assertThrows(ProbeFileException.class, () -> load(
                "  - {class: a.B, program: exceptions, maps: [do_exc], options: {dump: " + dump + "}}"));
        assertEquals(5, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith("d.yaml:5:5: "), e.getMessage());
        assertTrue(Maps.byName("do_flight") == null, "a refused file frees its maps");
        return e.getMessage();
    }

    @Test
    void aDumpOptionNamesARelayAndItsWindow() {
        try (LoadedProbes p = load("  - {class: a.B, program: exceptions, maps: [do_exc],"
                + " options: {dump: {relay: do_flight, lastSeconds: 2.5, minInterval: 500ms}}}")) {
            Exceptions e = (Exceptions) p.bindings().get(0).program();
            assertNotNull(e.dumpRelay());
            assertEquals("do_flight", e.dumpRelay().name());
            assertTrue(e.maps().contains(e.dumpRelay()), "the program holds its relay");
        }
    }

    @Test
    void badDumpOptionsAreRefusedAtTheProbeWithTheFix() {
        assertTrue(refused("{relay: nope, lastSeconds: 10}").contains("map 'nope' is not declared"));
        assertTrue(refused("{relay: do_exc, lastSeconds: 10}").contains(
                "dump relay 'do_exc' is a hash map; name a map of type: relay"));
        assertTrue(refused("{lastSeconds: 10}").contains("dump needs relay:"));
        assertTrue(refused("{relay: do_flight}").contains("dump lastSeconds: '' must be a number of seconds above 0"));
        assertTrue(refused("{relay: do_flight, lastSeconds: -1}").contains("dump lastSeconds: '-1'"));
        assertTrue(refused("{relay: do_flight, lastSeconds: ten}").contains("dump lastSeconds: 'ten'"));
        assertTrue(refused("{relay: do_flight, lastSeconds: 10, minInterval: soon}").contains(
                "dump minInterval: 'soon' is not a duration; write for example 30s"));
        assertTrue(refused("{relay: do_flight, lastSeconds: 10, every: 5s}").contains(
                "dump key 'every' is unknown; valid keys: lastSeconds, minInterval, relay"));
        assertTrue(refused("yes").contains("option dump must be a mapping"));
    }
}
