package dev.sonde.agent.cli;

import static dev.sonde.agent.cli.MapCommandTest.sonde;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sonde.agent.cli.MapCommandTest.Result;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RelayMap;
import dev.sonde.maps.RingBuf;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ringbuf tail}, {@code relay cat|snapshot|recover}, driven as a user would. */
class StreamCommandsTest {
    private static final String PID = Long.toString(ProcessHandle.current().pid());

    @Test
    void ringbufTailPrintsOneLinePerRecord() {
        try (RingBuf ring = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("cli_ring").maxEntries(4096).build())) {
            assertEquals(0, ring.output("hello\n".getBytes(StandardCharsets.UTF_8), 0));
            assertEquals(0, ring.output(new byte[] {1, 2, 3}, 0));
            assertEquals(0, ring.output("bye".getBytes(StandardCharsets.UTF_8), 0));
            Result r = sonde("ringbuf", "tail", PID, "cli_ring", "-n", "3");
            assertEquals(0, r.code, r.err);
            assertEquals(List.of("hello", "3 bytes: 01 02 03", "bye"), List.of(r.out.split("\n")));
            assertEquals(ring.query(RingBuf.PROD_POS), ring.query(RingBuf.CONS_POS), "tail consumed the records");
            Result idle = sonde("ringbuf", "tail", PID, "cli_ring", "--timeout", "300");
            assertEquals(0, idle.code, idle.err);
            assertEquals("", idle.out);
            Result notRing = sonde("ringbuf", "tail", PID, "nope");
            assertEquals(CliError.NOT_FOUND, notRing.code);
        }
    }

    @Test
    void relayCatMergesShardsAndSnapshotReadsBack(@TempDir Path tmp) throws Exception {
        try (RelayMap relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name("cli_relay").keySize(4).valueSize(64)
                .subbufSize(4096).nSubbufs(4).numShards(2).flags(MapSpec.F_RELAY_OVERWRITE).build())) {
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; i < 10; i++) {
                        relay.output(("t" + id + " line " + i + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join();
            }
            relay.relayFlush();
            Result r = sonde("relay", "cat", PID, "cli_relay");
            assertEquals(0, r.code, r.err);
            String[] lines = r.out.split("\n");
            assertEquals(20, lines.length, r.out);
            for (int t = 0; t < 2; t++) {
                int next = 0;
                for (String l : lines) {
                    if (l.startsWith("t" + t + " ")) {
                        assertEquals("t" + t + " line " + next++, l);
                    }
                }
                assertEquals(10, next);
            }
            JsonNode json = new ObjectMapper().readTree(sonde("relay", "cat", PID, "cli_relay", "-j").out);
            assertEquals(20, json.size());
            assertTrue(json.get(0).has("epoch_nanos") && json.get(0).has("shard"), json.get(0).toString());

            Path snap = tmp.resolve("snap");
            Result s = sonde("relay", "snapshot", PID, "cli_relay", "-o", snap.toString());
            assertEquals(0, s.code, s.err);
            assertTrue(s.out.contains("20 records"), s.out);
            assertEquals("", s.err, "no progress off a terminal");
            assertEquals(r.out, sonde("relay", "cat", snap.toString(), "cli_relay").out);

            // --progress: one line per shard copied, with its size, on stderr; stdout keeps only the result.
            Result p = sonde("relay", "snapshot", PID, "cli_relay", "-o", tmp.resolve("snap2").toString(), "--progress");
            assertEquals(0, p.code, p.err);
            String[] steps = p.err.split("\n");
            int files = relay.numFiles();
            assertEquals(files + 2, steps.length, p.err);
            assertTrue(steps[0].startsWith("snapshotting cli_relay (" + files + " files) to "), p.err);
            for (int i = 0; i < files; i++) {
                long size = Files.size(tmp.resolve("snap2").resolve("cli_relay#" + i));
                assertTrue(steps[i + 1].startsWith("file " + (i + 1) + "/" + files + " copied: cli_relay#" + i + ", "),
                        p.err);
                assertTrue(steps[i + 1].endsWith(", " + Term.bytes(size)), p.err);
            }
            assertTrue(steps[files + 1].matches("done in \\d+(\\.\\d)? m?s: .*"), p.err);
            assertFalse(p.out.contains("file "), p.out);

            // -j with --progress: stdout is JSON alone, the progress stays on stderr.
            Result j = sonde("relay", "snapshot", PID, "cli_relay", "-o", tmp.resolve("snap3").toString(), "-j",
                    "--progress");
            assertEquals(0, j.code, j.err);
            JsonNode snapJson = new ObjectMapper().readTree(j.out);
            assertEquals(20, snapJson.get("records").asInt());
            assertEquals(relay.numShards(), snapJson.get("shards").asInt());
            assertEquals(files, snapJson.get("files").asInt());
            assertTrue(j.err.startsWith("snapshotting cli_relay"), j.err);
            Result quiet = sonde("relay", "snapshot", PID, "cli_relay", "-o", tmp.resolve("snap4").toString(),
                    "--no-progress");
            assertEquals("", quiet.err);
        }
    }

    /** A child JVM writes numbered lines into a relay and is killed with SIGKILL; its files are read back. */
    @Test
    void recoversTheRelayOfAKilledJvm(@TempDir Path tmp) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dsonde.dir=" + tmp, RelayWriterMain.class.getName()).redirectErrorStream(true).start();
        BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        long committed = -1;
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("committed ")) {
                committed = Long.parseLong(line.substring(10));
                if (committed >= 500) {
                    break;
                }
            }
        }
        child.destroyForcibly();
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        assertTrue(committed >= 500, "child reported " + committed);
        Path procDir = tmp.resolve(Long.toString(child.pid()));
        assertTrue(Files.isDirectory(procDir.resolve("relay")), procDir.toString());

        Result rec = sonde("relay", "recover", procDir.toString());
        assertEquals(0, rec.code, rec.err);
        assertTrue(rec.out.startsWith("flight: "), rec.out);

        Result cat = sonde("relay", "cat", procDir.toString(), "flight");
        assertEquals(0, cat.code, cat.err);
        String[] lines = cat.out.split("\n");
        // Every record the child reported committed is there, in order, from line 0 (no overwrite: it fits).
        assertTrue(lines.length >= committed + 1, lines.length + " lines, committed " + committed);
        for (int i = 0; i <= committed; i++) {
            assertEquals("event " + i, lines[i]);
        }
    }

    /** The child of {@link #recoversTheRelayOfAKilledJvm}: writes until killed. */
    public static final class RelayWriterMain {
        public static void main(String[] args) throws Exception {
            RelayMap relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name("flight").keySize(4).valueSize(64)
                    .subbufSize(64 * 1024).nSubbufs(8).numShards(1).build());
            for (long i = 0; ; i++) {
                if (relay.output(("event " + i + "\n").getBytes(StandardCharsets.UTF_8)) != 0) {
                    Thread.sleep(1000);
                    continue;
                }
                if (i % 50 == 0) {
                    System.out.println("committed " + i);
                    System.out.flush();
                    Thread.sleep(1);
                }
            }
        }
    }
}
