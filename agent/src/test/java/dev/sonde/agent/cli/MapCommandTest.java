package dev.sonde.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.FieldType;
import dev.sonde.maps.Log2Histogram;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.SondeDir;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The map commands driven as a user would, against this JVM's own maps (a live JVM) and against copied files. */
class MapCommandTest {
    private static final String PID = Long.toString(ProcessHandle.current().pid());

    private BpfMap counts;
    private BpfMap latency;

    static final class Result {
        final int code;
        final String out;
        final String err;

        Result(int code, String out, String err) {
            this.code = code;
            this.out = out;
            this.err = err;
        }
    }

    static Result sonde(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SondeCli.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeEach
    void maps() {
        counts = Maps.create(MapSpec.builder(MapType.HASH).name("cli_counts").keySize(8).valueSize(8).maxEntries(64)
                .keyField("method", FieldType.U64, 0, 8).valueField("calls", FieldType.U64, 0, 8).build());
        for (long k = 1; k <= 3; k++) {
            assertEquals(0, counts.incrementLong(k, 0, k * 10));
        }
        latency = Maps.create(MapSpec.builder(MapType.PERCPU_ARRAY).name("cli_latency").keySize(4).valueSize(64 * 8)
                .maxEntries(1).valueField("ns", FieldType.LOG2_HIST, 0, 64 * 8).build());
        long h = latency.lookupElem(0);
        latency.addLong(h, 8 * Log2Histogram.bucket(300), 2);
        latency.addLong(h, 8 * Log2Histogram.bucket(1500), 8);
    }

    @AfterEach
    void close() {
        counts.close();
        latency.close();
    }

    @Test
    void listShowsBpftoolColumns() throws Exception {
        Result r = sonde("map", "list", PID);
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains(counts.id() + ": hash  name cli_counts  flags 0x0"), r.out);
        assertTrue(r.out.contains("key 8B  value 8B  max_entries 64  memlock "), r.out);
        JsonNode json = new ObjectMapper().readTree(sonde("map", "list", PID, "-j").out);
        boolean found = false;
        for (JsonNode m : json) {
            if (m.get("name").asText().equals("cli_latency")) {
                found = true;
                assertEquals("percpu_array", m.get("type").asText());
                assertEquals(latency.id(), m.get("id").asInt());
                assertEquals(512, m.get("bytes_value").asInt());
            }
        }
        assertTrue(found, json.toString());
    }

    @Test
    void dumpJsonMatchesTheMapContents() throws Exception {
        Result r = sonde("map", "dump", PID, "cli_counts", "--json");
        assertEquals(0, r.code, r.err);
        JsonNode arr = new ObjectMapper().readTree(r.out);
        assertEquals(3, arr.size());
        long seen = 0;
        for (JsonNode e : arr) {
            long method = e.get("formatted").get("key").get("method").asLong();
            assertEquals(method * 10, e.get("formatted").get("value").get("calls").asLong());
            assertEquals(8, e.get("key").size());
            assertEquals(String.format("0x%02x", method), e.get("key").get(0).asText());
            seen |= 1L << method;
        }
        assertEquals(0b1110, seen);
    }

    @Test
    void dumpPrintsHistogramsAsBpftrace() {
        Result r = sonde("map", "dump", PID, Integer.toString(latency.id()));
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("[256, 512)"), r.out);
        assertTrue(r.out.contains("[1K, 2K)"), r.out);
        assertTrue(r.out.contains("|" + "@".repeat(52) + "|"), r.out);
        assertTrue(r.out.contains("Found 1 element"), r.out);
    }

    @Test
    void lookupUpdateDelete() {
        Result r = sonde("map", "lookup", PID, "cli_counts", "key", "2");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("\"calls\":20"), r.out);
        assertEquals(0, sonde("map", "update", PID, "cli_counts", "key", "hex", "0900000000000000", "value", "7").code);
        assertEquals(7, counts.getLong(counts.lookupElem(9), 0));
        Result exists = sonde("map", "update", PID, "cli_counts", "key", "9", "value", "1", "noexist");
        assertEquals(CliError.FAILED, exists.code);
        assertTrue(exists.err.startsWith("sonde: update on map 'cli_counts' failed: EEXIST"), exists.err);
        assertEquals(0, sonde("map", "delete", PID, "cli_counts", "key", "9").code);
        Result gone = sonde("map", "lookup", PID, "cli_counts", "key", "9");
        assertEquals(CliError.NOT_FOUND, gone.code);
        assertTrue(gone.err.contains("ENOENT (no such key)"), gone.err);
    }

    @Test
    void badInputGivesOneLineAndAnExitCode() {
        Result noMap = sonde("map", "dump", PID, "nope");
        assertEquals(CliError.NOT_FOUND, noMap.code);
        assertTrue(noMap.err.contains("no map 'nope'") && noMap.err.contains("cli_counts"), noMap.err);
        assertEquals(1, noMap.err.trim().split("\n").length, noMap.err);

        Result noPid = sonde("map", "list", "999999999");
        assertEquals(CliError.NOT_FOUND, noPid.code);
        assertTrue(noPid.err.contains("no such process 999999999"), noPid.err);

        Result shortKey = sonde("map", "lookup", PID, "cli_counts", "key", "1", "2");
        assertEquals(CliError.USAGE, shortKey.code);
        assertTrue(shortKey.err.contains("key must be 8 bytes, got 2"), shortKey.err);
        assertTrue(!shortKey.err.contains("Exception"), shortKey.err);
    }

    @Test
    void aFileThatIsNotAMapIsNamedAndNeverSuggested(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("junk"), "hello\n");
        Files.copy(counts.path(), tmp.resolve("copy"));
        Result junk = sonde("map", "dump", "--dir", tmp.toString(), "junk");
        assertEquals(CliError.FAILED, junk.code);
        assertEquals("sonde: not a Sonde map file: " + tmp.resolve("junk") + " (it is 6 bytes, shorter than the 4096-byte "
                + "header); point at a file under <sonde dir>/<pid>/maps/\n", junk.err);
        Result nope = sonde("map", "dump", "--dir", tmp.toString(), "nope");
        assertEquals(CliError.NOT_FOUND, nope.code);
        assertTrue(nope.err.endsWith("; maps there: copy\n"), nope.err);
        Result debug = sonde("map", "dump", "--dir", tmp.toString(), "junk", "--debug");
        assertTrue(debug.err.contains("\tat "), "--debug prints the stack trace: " + debug.err);
    }

    @Test
    void readsFilesOfAJvmThatIsGone(@TempDir Path tmp) throws Exception {
        Path maps = SondeDir.mapsDir();
        Files.copy(maps.resolve("cli_counts"), tmp.resolve("cli_counts"));
        Files.copy(maps.resolve("cli_counts.json"), tmp.resolve("cli_counts.json"));
        Files.writeString(tmp.resolve("junk"), "not a map at all");
        Result r = sonde("map", "dump", "--dir", tmp.toString(), "cli_counts", "-j");
        assertEquals(0, r.code, r.err);
        assertEquals(3, new ObjectMapper().readTree(r.out).size());
        Result junk = sonde("map", "dump", "--dir", tmp.toString(), "junk");
        assertEquals(CliError.FAILED, junk.code);
        assertTrue(junk.err.contains("not a Sonde map file"), junk.err);
    }
}
