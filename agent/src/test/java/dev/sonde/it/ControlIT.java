package dev.sonde.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Maps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The control channel and live attach, with real JVMs and the {@code sonde} CLI. */
class ControlIT {
    private static final int CALLS = 1000;
    private static final String APP = "dev.sonde.it.TargetApp";
    private static final String A = String.join("\n",
            "maps:",
            "  - {name: a_keys, type: hash, keySize: 8, valueSize: 8, maxEntries: 64}",
            "probes:",
            "  - {class: " + APP + ", method: work, program: count, maps: [a_keys], options: {arg: 0}}",
            "");
    private static final String B = String.join("\n",
            "maps:",
            "  - {name: b_calls, type: hash, keySize: 8, valueSize: 8, maxEntries: 64}",
            "probes:",
            "  - {class: " + APP + ", method: check, program: count, maps: [b_calls]}",
            "");

    static List<String> javaHomes() {
        return TargetJvm.javaHomes();
    }

    private static Path dir(String javaHome, String test) throws Exception {
        // Short: a Unix socket path must stay under 108 bytes.
        Path base = Paths.get(System.getProperty("sonde.dir", "target/sonde-it")).toAbsolutePath();
        Path d = base.resolve(test + (javaHome.equals(System.getProperty("java.home")) ? "0" : "1"));
        Files.createDirectories(d);
        Files.writeString(d.resolve("a.yaml"), A);
        Files.writeString(d.resolve("b.yaml"), B);
        Files.writeString(d.resolve("bad.yaml"), "probes:\n  - {class: a.B, program: count, maps: [nope]}\n");
        return d;
    }

    @ParameterizedTest
    @MethodSource("javaHomes")
    void loadReplacesProgramsAndUnloadRemovesThem(String javaHome) throws Exception {
        Path d = dir(javaHome, "ld");
        try (TargetJvm jvm = TargetJvm.start(javaHome, d, "config=" + d.resolve("a.yaml"), CALLS)) {
            assertTrue(jvm.awaitReady(60), jvm.err.toString());
            String pid = Long.toString(jvm.process.pid());
            Path maps = jvm.processDir().resolve("maps");
            assertEquals(List.of(334L, 333L, 333L), values(maps.resolve("a_keys"), 0, 1, 2));

            String[] load = TargetJvm.cli(javaHome, d, "load", pid, d.resolve("b.yaml").toString());
            assertEquals("0", load[0], load[1]);
            assertTrue(load[1].contains("1 programs, 1 maps, 1 classes retransformed"), load[1]);
            assertFalse(Files.exists(maps.resolve("a_keys")), "the replaced file's map is freed");
            jvm.runAgain();
            assertEquals(List.of((long) CALLS), firstValues(maps.resolve("b_calls")), "counted from the load on");

            String[] bad = TargetJvm.cli(javaHome, d, "load", pid, d.resolve("bad.yaml").toString());
            assertNotEquals("0", bad[0]);
            assertTrue(bad[1].startsWith("sonde: " + d.resolve("bad.yaml") + ":2:5: map 'nope' is not declared"), bad[1]);
            jvm.runAgain();
            assertEquals(List.of(2L * CALLS), firstValues(maps.resolve("b_calls")), "a refused file changes nothing");

            String[] unload = TargetJvm.cli(javaHome, d, "unload", pid);
            assertEquals("0", unload[0], unload[1]);
            assertEquals("unloaded 1 programs", unload[1]);
            assertFalse(Files.exists(maps.resolve("b_calls")));
            jvm.runAgain();
            assertTrue(jvm.result().contains("thrown=500"), jvm.result());
            JsonNode progs = await(jvm.processDir().resolve("progs.json"), p -> p.get("programs").size() == 0);
            assertEquals(0, progs.get("programs").size());
            assertEquals(List.of(), jvm.sondeErrors());
        }
    }

    @ParameterizedTest
    @MethodSource("javaHomes")
    void attachesToALiveJvmAndDetachesAgain(String javaHome) throws Exception {
        Path d = dir(javaHome, "at");
        try (TargetJvm jvm = TargetJvm.start(javaHome, d, null, CALLS, "-XX:+IgnoreUnrecognizedVMOptions",
                "-XX:+EnableDynamicAgentLoading")) {
            assertTrue(jvm.awaitReady(60), jvm.err.toString());
            String pid = Long.toString(jvm.process.pid());
            Path maps = jvm.processDir().resolve("maps");

            String[] attach = TargetJvm.cli(javaHome, d, "attach", pid, d.resolve("a.yaml").toString());
            assertEquals("0", attach[0], attach[1]);
            assertTrue(attach[1].contains("attached to " + pid), attach[1]);
            jvm.runAgain();
            assertEquals(List.of(334L, 333L, 333L), values(maps.resolve("a_keys"), 0, 1, 2),
                    "the already loaded class was retransformed");

            String[] jvms = TargetJvm.cli(javaHome, d, "jvms");
            assertTrue(jvms[1].lines().anyMatch(l -> l.startsWith(pid + " ") && l.contains("dynamic")
                    && l.contains("running")), jvms[1]);

            String[] detach = TargetJvm.cli(javaHome, d, "detach", pid);
            assertEquals("0", detach[0], detach[1]);
            assertTrue(detach[1].endsWith("original bytecode restored"), detach[1]);
            await(jvm.processDir().resolve("agent.json"), a -> a.get("state").asText().equals("detached"));
            jvm.runAgain();

            String[] again = TargetJvm.cli(javaHome, d, "attach", pid, d.resolve("b.yaml").toString());
            assertEquals("0", again[0], again[1]);
            assertTrue(again[1].startsWith("loaded "), "the agent present takes the file by its socket: " + again[1]);
            jvm.runAgain();
            assertEquals(List.of((long) CALLS), firstValues(maps.resolve("b_calls")));
            assertEquals(List.of(), jvm.sondeErrors());
        }
    }

    private static List<Long> values(Path map, long... keys) {
        try (BpfMap m = Maps.open(map)) {
            Long[] out = new Long[keys.length];
            for (int i = 0; i < keys.length; i++) {
                long h = m.lookupElem(keys[i]);
                out[i] = h < 0 ? -1 : m.getLong(h, 0);
            }
            return List.of(out);
        }
    }

    private static List<Long> firstValues(Path map) {
        try (BpfMap m = Maps.open(map)) {
            byte[] k = new byte[m.keySize()];
            byte[] prev = null;
            java.util.ArrayList<Long> out = new java.util.ArrayList<>();
            while (m.getNextKey(prev, k) == 0) {
                long key = java.nio.ByteBuffer.wrap(k).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
                out.add(m.getLong(m.lookupElem(key), 0));
                prev = k.clone();
            }
            return out;
        }
    }

    private static JsonNode await(Path file, Predicate<JsonNode> ready) throws Exception {
        JsonNode last = null;
        for (int i = 0; i < 100; i++) {
            if (Files.exists(file)) {
                try {
                    last = new ObjectMapper().readTree(file.toFile());
                    if (ready.test(last)) {
                        return last;
                    }
                } catch (java.io.IOException racedWithRename) {
                    // read again
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError(file + " never got there: " + last);
    }
}
