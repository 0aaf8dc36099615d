package dev.sonde.agent.cli;

import static dev.sonde.agent.cli.MapCommandTest.sonde;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sonde.agent.cli.MapCommandTest.Result;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Log2Histogram;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Colours only where asked or on a terminal, never in JSON or a pipe; NO_COLOR honoured as no-color.org says. */
class TermTest {
    private static final String PID = Long.toString(ProcessHandle.current().pid());
    private static final String ESC = "\u001b[";

    private BpfMap hist;
    private BpfMap calls;

    @BeforeEach
    void maps() {
        hist = Maps.create(MapSpec.builder(MapType.ARRAY).name("term_hist").keySize(4).valueSize(8).maxEntries(64).build());
        hist.addLong(hist.lookupElem(Log2Histogram.bucket(300)), 0, 5);
        hist.addLong(hist.lookupElem(Log2Histogram.bucket(5000)), 0, 20);
        calls = Maps.create(MapSpec.builder(MapType.HASH).name("term_calls").keySize(8).valueSize(8).maxEntries(8).build());
        calls.incrementLong(7, 0, 3);
    }

    @AfterEach
    void close() {
        hist.close();
        calls.close();
    }

    @Test
    void alwaysColoursHeadingsBarsAndErrors() {
        Result r = sonde("map", "hist", PID, "term_hist", "--color=always");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.startsWith(ESC + "1m@term_hist (ns):" + ESC + "0m\n"), r.out);
        assertTrue(r.out.contains("|" + ESC + "32m" + "@".repeat(52) + ESC + "0m"), r.out);
        Result top = sonde("--color=always", "map", "top", PID, "term_calls");
        assertTrue(top.out.startsWith(ESC + "1m@term_calls:" + ESC + "0m"), top.out);
        Result err = sonde("map", "hist", PID, "nope", "--color=ALWAYS");
        assertEquals(CliError.NOT_FOUND, err.code);
        assertTrue(err.err.startsWith(ESC + "1;31msonde:" + ESC + "0m no map 'nope'"), err.err);
    }

    @Test
    void neverAndAutoOffATerminalPrintPlainText() {
        for (String[] args : new String[][] {
            {"map", "hist", PID, "term_hist", "--color=never"},
            {"map", "hist", PID, "term_hist"},                  // auto: the test's stdout is not a terminal
            {"map", "top", PID, "term_calls", "--color=auto"},
            {"map", "hist", PID, "nope"},
        }) {
            Result r = sonde(args);
            assertFalse(r.out.contains(ESC) || r.err.contains(ESC), String.join(" ", args) + ": " + r.out + r.err);
        }
        assertTrue(sonde("map", "hist", PID, "term_hist").out.contains("|" + "@".repeat(52) + "|"));
    }

    @Test
    void jsonNeverGetsColours() throws Exception {
        Result r = sonde("map", "hist", PID, "term_hist", "-j", "--color=always");
        assertEquals(0, r.code, r.err);
        assertFalse(r.out.contains(ESC), r.out);
        assertEquals(2, new ObjectMapper().readTree(r.out).get("buckets").size());
    }

    @Test
    void aBadColorWordIsAUsageError() {
        Result r = sonde("map", "hist", PID, "term_hist", "--color=sometimes");
        assertEquals(CliError.USAGE, r.code);
        assertTrue(r.err.contains("--color") && r.err.contains("AUTO, ALWAYS, NEVER"), r.err);
    }

    @Test
    void noColorTurnsAutoOffButNotAlways() {
        PrintWriter err = new PrintWriter(new StringWriter());
        assertTrue(Term.decide(Term.ColorMode.AUTO, null, Map.of(), true, err).color());
        assertFalse(Term.decide(Term.ColorMode.AUTO, null, Map.of("NO_COLOR", "1"), true, err).color());
        assertTrue(Term.decide(Term.ColorMode.AUTO, null, Map.of("NO_COLOR", ""), true, err).color());
        assertTrue(Term.decide(Term.ColorMode.ALWAYS, null, Map.of("NO_COLOR", "1"), false, err).color());
        assertFalse(Term.decide(Term.ColorMode.AUTO, null, Map.of(), false, err).color());
        assertFalse(Term.decide(Term.ColorMode.NEVER, null, Map.of(), true, err).color());
        // Progress follows the terminal unless --progress / --no-progress says otherwise.
        assertTrue(Term.decide(Term.ColorMode.AUTO, null, Map.of(), true, err).progress());
        assertFalse(Term.decide(Term.ColorMode.AUTO, null, Map.of(), false, err).progress());
        assertTrue(Term.decide(Term.ColorMode.AUTO, true, Map.of(), false, err).progress());
        assertFalse(Term.decide(Term.ColorMode.AUTO, false, Map.of(), true, err).progress());
    }
}
