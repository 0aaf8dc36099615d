package dev.sonde.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RelayReader;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import dev.sonde.probes.builtin.NameHash;
import dev.sonde.probes.builtin.NameTableLayout;
import dev.sonde.probes.builtin.SpanLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The shaded agent in real JVMs (this JDK, and JDK 25 when installed): maps read from outside, exact counts. */
class AgentIT {
    private static final int CALLS = 1000;
    private static final String APP = "dev.sonde.it.TargetApp";
    private static final String MAPS = String.join("\n",
            "maps:",
            "  - {name: bykey, type: hash, keySize: 8, valueSize: 8, maxEntries: 64}",
            "  - {name: calls, type: hash, keySize: 8, valueSize: 8, maxEntries: 64}",
            "  - {name: lat, type: percpu_array, keySize: 4, valueSize: 8, maxEntries: 64}",
            "  - {name: exc, type: hash, keySize: 8, valueSize: 8, maxEntries: 64}",
            "  - {name: excnames, type: hash, keySize: 8, valueSize: 64, maxEntries: 64}",
            "  - {name: sums, type: hash, keySize: 8, valueSize: 8, maxEntries: 8}",
            "  - {name: spans, type: ringbuf, maxEntries: 262144}", // 1000 records of 152 bytes with their headers
            "  - {name: calllog, type: relay, subbufSize: 16384, nSubbufs: 8, numShards: 2}",
            "");

    static List<String> javaHomes() {
        return TargetJvm.javaHomes();
    }

    private static Path sondeDir(String javaHome, String test) throws Exception {
        Path base = Paths.get(System.getProperty("sonde.dir", "target/sonde-it")).toAbsolutePath();
        Path dir = base.resolve(test + "-" + Paths.get(javaHome).getFileName());
        Files.createDirectories(dir);
        return dir;
    }

    private static Path writeConfig(Path dir, String yaml) throws Exception {
        Path f = dir.resolve("probes.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @ParameterizedTest
    @MethodSource("javaHomes")
    void builtinsAndJavaProgramsCountExactly(String javaHome) throws Exception {
        Path dir = sondeDir(javaHome, "builtins");
        Path config = writeConfig(dir, MAPS + String.join("\n",
                "probes:",
                "  - {class: " + APP + ", method: work, program: count, maps: [bykey], options: {arg: 0}}",
                "  - {class: " + APP + ", method: check, program: count, maps: [calls]}",
                "  - {class: " + APP + ", method: pause, program: latency, maps: [lat]}",
                "  - {class: " + APP + ", method: check, program: exceptions, maps: [exc, excnames]}",
                "  - {program: dev.sonde.it.ItPrograms$Sums}",
                "  - {class: " + APP + ", method: work, program: span, maps: [spans]}",
                "  - {class: " + APP + ", method: check, program: record, maps: [calllog]}",
                ""));
        try (TargetJvm jvm = TargetJvm.start(javaHome, dir, "config=" + config, CALLS)) {
            assertTrue(jvm.awaitReady(60), "stdout " + jvm.out + " stderr " + jvm.err);
            assertEquals(List.of(), jvm.sondeErrors());
            assertTrue(jvm.out.contains("VISIBLE agent=false shaded=false bridge=true"),
                    "the agent and its libraries live in their own class loader: " + jvm.out);
            // No JEP 498 warning on JDK 24+ from the maps or the agent's ByteBuddy (its Nexus used to print one).
            assertTrue(jvm.err.stream().noneMatch(l -> l.contains("Unsafe") && l.contains("dev.sonde")), "" + jvm.err);
            Path maps = jvm.processDir().resolve("maps");

            try (BpfMap byKey = Maps.open(maps.resolve("bykey"))) {
                assertEquals(334, longAt(byKey, 0));
                assertEquals(333, longAt(byKey, 1));
                assertEquals(333, longAt(byKey, 2));
                assertEquals(3, keys(byKey));
            }
            try (BpfMap calls = Maps.open(maps.resolve("calls"))) {
                assertEquals(1, keys(calls), "one method, one key");
                assertEquals(CALLS, firstValue(calls));
            }
            try (BpfMap lat = Maps.open(maps.resolve("lat"))) {
                long[] buckets = percpuSums(lat);
                long total = 0;
                for (int i = 0; i < buckets.length; i++) {
                    total += buckets[i];
                    if (buckets[i] != 0) {
                        assertTrue(i >= 20, "a 1 ms pause is at least 2^19 ns: bucket " + i);
                    }
                }
                assertEquals(10, total);
            }
            long ise = NameHash.of("java.lang.IllegalStateException");
            try (BpfMap exc = Maps.open(maps.resolve("exc")); BpfMap names = Maps.open(maps.resolve("excnames"))) {
                assertEquals(CALLS / 2, longAt(exc, ise));
                assertEquals(1, keys(exc));
                assertEquals("java.lang.IllegalStateException", NameTableLayout.get(names, names.lookupElem(ise)));
            }

            long sum = Long.parseLong(jvm.result().replaceAll(".*sum=(\\d+).*", "$1"));
            long[] spanSum = {0};
            try (BpfMap spans = Maps.open(maps.resolve("spans"));
                    RingBufConsumer c = RingBufConsumer.create((RingBuf) spans, r -> {
                        assertEquals(SpanLayout.SIZE, r.remaining());
                        spanSum[0] += r.getLong(r.position() + SpanLayout.VALUE_OFFSET);
                        return 0;
                    })) {
                assertEquals(CALLS, c.consume(), "one span per call, read from another process");
            }
            assertEquals(sum, spanSum[0], "the spans carry work's return values");
            try (BpfMap sums = Maps.open(maps.resolve("sums"))) {
                assertEquals(sum, longAt(sums, 1), "the sum of work's return values");
                assertEquals(5 * 200, longAt(sums, 2), "Square.area through the Shape+ pattern");
            }
            List<String> lines = new java.util.ArrayList<>();
            RelayReader.readAll(jvm.processDir().resolve("relay"), "calllog").records().forEach(r -> lines.add(r.text()));
            assertEquals(CALLS, lines.size(), "one line per call in the relay files");
            assertEquals(CALLS / 2, lines.stream().filter(l -> l.endsWith(" threw java.lang.IllegalStateException\n"))
                    .count());
            assertTrue(lines.stream().allMatch(l -> l.contains(" " + APP + ".check ")), lines.get(0));

            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(maps.resolve("bykey"));
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), mode);
            // The status file is rewritten every second: wait for one written after the last call.
            JsonNode progs = awaitStatus(jvm.processDir().resolve("progs.json"), p -> p.get("programs").size() == 8
                    && p.get("programs").findValues("runCount").stream().mapToLong(JsonNode::asLong).sum()
                    == 2L * CALLS + 10 + CALLS / 2 + CALLS + 5 + CALLS + CALLS);
            Map<String, JsonNode> byName = new HashMap<>();
            progs.get("programs").forEach(p -> byName.put(p.get("name").asText(), p));
            assertEquals(CALLS, byName.get("count#1").get("runCount").asLong());
            assertEquals(10, byName.get("latency#2").get("runCount").asLong());
            assertEquals(CALLS / 2, byName.get("exceptions#3").get("runCount").asLong());
            assertEquals("enabled", byName.get("Sums.work").get("state").asText());
            assertTrue(progs.get("methods").size() >= 4);
            JsonNode agent = new ObjectMapper().readTree(jvm.processDir().resolve("agent.json").toFile());
            assertEquals("running", agent.get("state").asText());
            assertEquals(0, agent.get("bridgeErrors").asLong());
            // Unchecked map memory on every JDK: sun.misc.Unsafe up to 23, from 24 on the internal one, which the
            // agent exports to the maps runtime.
            int feature = Integer.parseInt(agent.get("javaVersion").asText().split("[.+-]")[0]);
            assertEquals(feature <= 23 ? "sun.misc.Unsafe" : "jdk.internal.misc.Unsafe", agent.get("mapMemory").asText());
        }
    }

    @ParameterizedTest
    @MethodSource("javaHomes")
    void aThrowingProgramNeverReachesTheAppAndIsSwitchedOffOnce(String javaHome) throws Exception {
        Path dir = sondeDir(javaHome, "throwing");
        Path config = writeConfig(dir, MAPS + String.join("\n",
                "probes:",
                "  - {program: dev.sonde.it.ItPrograms$Throws}",
                "  - {class: " + APP + ", method: work, program: count, maps: [bykey], options: {arg: 0}}",
                ""));
        try (TargetJvm jvm = TargetJvm.start(javaHome, dir, "config=" + config, CALLS)) {
            assertTrue(jvm.awaitReady(60), "stdout " + jvm.out + " stderr " + jvm.err);
            assertTrue(jvm.result().contains("thrown=500"), jvm.result());
            List<String> errors = jvm.sondeErrors();
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).startsWith("sonde: program 'Throws.boom' switched off after 100 consecutive "
                    + "errors, last: java.lang.IllegalStateException: probe bug"), errors.get(0));
            try (BpfMap byKey = Maps.open(jvm.processDir().resolve("maps").resolve("bykey"))) {
                assertEquals(CALLS, longAt(byKey, 0) + longAt(byKey, 1) + longAt(byKey, 2),
                        "the other program on the same method kept counting");
            }
            JsonNode progs = awaitStatus(jvm.processDir().resolve("progs.json"),
                    p -> p.get("programs").get(0).get("state").asText().equals("disabled"));
            JsonNode boom = progs.get("programs").get(0);
            assertEquals(100, boom.get("errors").asLong());
            assertEquals(100, boom.get("runCount").asLong());
        }
    }

    @ParameterizedTest
    @MethodSource("javaHomes")
    void aBadConfigLeavesTheAppRunningWithOneErrorLine(String javaHome) throws Exception {
        Path dir = sondeDir(javaHome, "badconfig");
        Path config = writeConfig(dir, "maps:\n  - name: calls\n    type: hash\n    keysize: 8\n");
        try (TargetJvm jvm = TargetJvm.start(javaHome, dir, "config=" + config, CALLS)) {
            assertTrue(jvm.awaitReady(60), "stdout " + jvm.out + " stderr " + jvm.err);
            assertNotNull(jvm.result());
            List<String> errors = jvm.sondeErrors();
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).startsWith("sonde: agent not started: " + config + ":4:"), errors.get(0));
            assertTrue(errors.get(0).contains("unknown field 'keysize' in a map"), errors.get(0));
        }
    }

    @ParameterizedTest
    @MethodSource("javaHomes")
    void failFastStopsTheJvm(String javaHome) throws Exception {
        Path dir = sondeDir(javaHome, "failfast");
        Path config = writeConfig(dir, "probes:\n  - {class: a.B, program: nope}\n");
        try (TargetJvm jvm = TargetJvm.start(javaHome, dir, "config=" + config + ",failFast=true", CALLS)) {
            assertFalse(jvm.awaitReady(60));
            assertTrue(jvm.process.waitFor() != 0);
            assertTrue(jvm.sondeErrors().get(0).contains("stopping the JVM"), jvm.err.toString());
        }
    }

    @ParameterizedTest
    @MethodSource("javaHomes")
    void anUnwritableDirectoryLeavesTheAppRunning(String javaHome) throws Exception {
        Path dir = sondeDir(javaHome, "unwritable");
        Path blocked = dir.resolve("file-not-dir");
        Files.writeString(blocked, "x");
        try (TargetJvm jvm = TargetJvm.start(javaHome, dir, "dir=" + blocked.resolve("sub"), CALLS)) {
            assertTrue(jvm.awaitReady(60), "stdout " + jvm.out + " stderr " + jvm.err);
            List<String> errors = jvm.sondeErrors();
            assertEquals(1, errors.size(), errors.toString());
            assertTrue(errors.get(0).contains("set dir= or -Dsonde.dir to a writable directory"), errors.get(0));
        }
    }

    // ---- reading maps from outside -------------------------------------------------------------------------

    private static long longAt(BpfMap m, long key) {
        long h = m.lookupElem(key);
        return h < 0 ? 0 : m.getLong(h, 0);
    }

    private static int keys(BpfMap m) {
        byte[] k = new byte[m.keySize()];
        byte[] prev = null;
        int n = 0;
        while (m.getNextKey(prev, k) == 0) {
            n++;
            prev = k.clone();
        }
        return n;
    }

    private static long firstValue(BpfMap m) {
        byte[] k = new byte[m.keySize()];
        byte[] v = new byte[m.valueBufferSize()];
        assertEquals(0, m.getNextKey(null, k));
        assertEquals(0, m.lookup(k, v));
        return ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    /** Each element of a per-shard array summed over its shards. */
    private static long[] percpuSums(BpfMap m) {
        long[] sums = new long[m.maxEntries()];
        byte[] v = new byte[m.valueBufferSize()];
        int slot = (m.valueSize() + 7) & ~7;
        for (int i = 0; i < sums.length; i++) {
            byte[] k = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(i).array();
            assertEquals(0, m.lookup(k, v));
            ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
            for (int s = 0; s + 8 <= v.length; s += slot) {
                sums[i] += b.getLong(s);
            }
        }
        return sums;
    }

    private static JsonNode awaitStatus(Path file, java.util.function.Predicate<JsonNode> ready) throws Exception {
        JsonNode last = null;
        for (int i = 0; i < 100; i++) {
            if (Files.exists(file)) {
                last = new ObjectMapper().readTree(file.toFile());
                if (ready.test(last)) {
                    return last;
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("status " + file + " never got there: " + last);
    }
}
