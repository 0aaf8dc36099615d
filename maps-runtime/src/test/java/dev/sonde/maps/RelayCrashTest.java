package dev.sonde.maps;

import static dev.sonde.maps.RelayTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Files left by a JVM killed with SIGKILL, half-written records, and damaged files. */
class RelayCrashTest {

    /**
     * With private files each child thread moves once, from its shard's shared file to its private one: its records
     * are gap-free within each file, and between the two lie the records the private file's wrapping overwrote.
     */
    @ParameterizedTest(name = "private files: {0}")
    @ValueSource(booleans = {false, true})
    @Timeout(60)
    void everythingAKilledJvmReportedCommittedIsReadBack(boolean privateShards) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx64m", "-Dsonde.dir=" + SondeDir.base(),
                "-cp", System.getProperty("java.class.path"), RelayKillChild.class.getName(), "killed",
                privateShards ? "private" : "shared");
        pb.redirectErrorStream(true);
        Process child = pb.start();
        long[] reported = {-1, -1};
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                String[] f = line.split(" ");
                if (f[0].equals("C")) {
                    reported[Integer.parseInt(f[1])] = Long.parseLong(f[2]);
                    if (reported[0] >= 20_000 && reported[1] >= 20_000) {
                        break;
                    }
                } else if (!f[0].equals("READY")) {
                    fail("child: " + line);
                }
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS));
        }
        assertNotEquals(0, child.exitValue(), "the child died of SIGKILL");
        Path relayDir = SondeDir.processDir(child.pid()).resolve("relay");
        try {
            RelayReader.Result res = RelayReader.readAll(relayDir, "killed");
            long[] first = {-1, -1};
            long[] last = {-1, -1};
            int[] file = {-1, -1};
            for (RelayRecord r : res.records()) {
                byte[] d = r.data();
                assertTrue(valid(d), "torn record " + r);
                int t = thread(d);
                long s = seq(d);
                assertEquals(t, r.shard() % 2, "each child thread writes its own shard's files");
                if (first[t] < 0 || r.shard() != file[t]) {
                    assertTrue(file[t] < 0 || (privateShards && file[t] == t && r.shard() == 2 + t),
                            "thread " + t + " moved from file " + file[t] + " to " + r.shard());
                    assertTrue(s > last[t], "thread " + t + ": " + s + " after " + last[t]);
                    first[t] = s;
                    file[t] = r.shard();
                } else {
                    assertEquals(last[t] + 1, s, "thread " + t + ": the sequence is gap-free");
                }
                last[t] = s;
            }
            for (int t = 0; t < 2; t++) {
                assertEquals(privateShards ? 2 + t : t, file[t], "the file thread " + t + " wrote last");
            }
            for (int t = 0; t < 2; t++) {
                assertTrue(first[t] <= reported[t] && reported[t] <= last[t], "thread " + t + " reported " + reported[t]
                        + " committed; present " + first[t] + ".." + last[t]);
                assertTrue(first[t] > 0, "the flight recorder wrapped");
            }
            assertTrue(res.skipped() <= 2, "at most the record each writer was inside is skipped");
            assertEquals(0, res.corruptSubbufs());
            // The dead JVM's map file opens too, and points at the same files.
            try (BpfMap m = Maps.open(SondeDir.processDir(child.pid()).resolve("maps").resolve("killed"))) {
                assertEquals(res.records().size(), RelayReader.read((RelayMap) m).records().size());
            }
        } finally {
            deleteTree(SondeDir.processDir(child.pid()));
        }
    }

    @Test
    void aRecordBeingWrittenIsSkippedAndCountedLiveAndAfterDeath(@TempDir Path tmp) throws Exception {
        try (RelayMap m = create(1024, 4, 1, true)) {
            assertEquals(0, m.output("one\n".getBytes(StandardCharsets.UTF_8)));
            long pending = m.reserve(8);
            m.putLong(pending, 0, 0x4242424242424242L);
            assertEquals(0, m.output("two\n".getBytes(StandardCharsets.UTF_8)));
            RelayReader.Result live = RelayReader.read(m);
            assertEquals(List.of("one\n", "two\n"), texts(live.records()));
            assertEquals(1, live.skipped());

            // The file as a SIGKILL would leave it: a plain copy, the reservation never committed.
            Path dead = tmp.resolve("dead#0");
            Files.copy(m.shardPath(0), dead);
            RelayReader.Result after = RelayReader.read(dead);
            assertEquals(List.of("one\n", "two\n"), texts(after.records()));
            assertEquals(1, after.skipped());

            // A claim whose writer died before writing the header: the stamp does not match, the rest of that
            // sub-buffer is unreadable, and it is counted.
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dead)).order(ByteOrder.LITTLE_ENDIAN);
            long pos = b.getLong(RelayLayout.POS_OFFSET);
            b.putLong(RelayLayout.POS_OFFSET, pos + 48);
            Path claimed = tmp.resolve("claimed#0");
            Files.write(claimed, b.array());
            RelayReader.Result c = RelayReader.read(claimed);
            assertEquals(List.of("one\n", "two\n"), texts(c.records()));
            assertEquals(2, c.skipped());

            assertEquals(0, m.commit(pending));
            assertEquals(0, RelayReader.read(m).skipped());
            assertEquals(3, RelayReader.read(m).records().size());
        }
    }

    @Test
    void recordsClaimedAfterAClaimThatNeverGotItsHeaderAreStillRead() throws Exception {
        try (RelayMap m = create(1024, 4, 1, true)) {
            assertEquals(0, m.output("one\n".getBytes(StandardCharsets.UTF_8)));
            // A writer killed right after its CAS: the position moved, no header was ever written.
            try (FileChannel ch = FileChannel.open(m.shardPath(0), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
                b.order(ByteOrder.LITTLE_ENDIAN);
                b.putLong(RelayLayout.POS_OFFSET, b.getLong(RelayLayout.POS_OFFSET) + 40);
            }
            assertEquals(0, m.output("two\n".getBytes(StandardCharsets.UTF_8)));
            assertEquals(0, m.output("three\n".getBytes(StandardCharsets.UTF_8)));
            RelayReader.Result r = RelayReader.read(m);
            assertEquals(List.of("one\n", "two\n", "three\n"), texts(r.records()));
            assertEquals(1, r.skipped(), "the headerless claim is reported");
            RelayReader.Result dead = RelayReader.read(m.shardPath(0));
            assertEquals(3, dead.records().size());
            assertEquals(1, dead.skipped());
        }
    }

    @Test
    void truncatedOrForeignFilesGiveAClearError(@TempDir Path tmp) throws Exception {
        try (RelayMap m = create(1024, 4, 1, false)) {
            assertEquals(0, m.output("x\n".getBytes(StandardCharsets.UTF_8)));
            byte[] file = Files.readAllBytes(m.shardPath(0));

            Path truncated = tmp.resolve("t#0");
            Files.write(truncated, Arrays.copyOf(file, file.length - 100));
            SondeException e = assertThrows(SondeException.class, () -> RelayReader.read(truncated));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());

            Path tiny = tmp.resolve("tiny#0");
            Files.write(tiny, Arrays.copyOf(file, 10));
            assertThrows(SondeException.class, () -> RelayReader.read(tiny));

            Path foreign = tmp.resolve("f#0");
            Files.write(foreign, new byte[8192]);
            e = assertThrows(SondeException.class, () -> RelayReader.read(foreign));
            assertTrue(e.getMessage().contains("magic"), e.getMessage());

            byte[] v2 = file.clone();
            v2[RelayLayout.VERSION_OFFSET] = 2;
            Path newer = tmp.resolve("v#0");
            Files.write(newer, v2);
            e = assertThrows(SondeException.class, () -> RelayReader.read(newer));
            assertTrue(e.getMessage().contains("version 2"), e.getMessage());

            e = assertThrows(SondeException.class, () -> RelayReader.read(tmp.resolve("missing#0")));
            assertEquals(Errno.ENOENT, e.errno());
            e = assertThrows(SondeException.class, () -> RelayReader.readAll(tmp, "nothing"));
            assertEquals(Errno.ENOENT, e.errno());
        }
    }

    @Test
    void aDamagedSubbufferIsSkippedAndReportedTheOthersStillRead(@TempDir Path tmp) throws Exception {
        try (RelayMap m = create(512, 4, 1, false)) {
            int i = 0;
            while (m.output(("line " + i + "\n").getBytes(StandardCharsets.UTF_8)) == 0) {
                i++;
            }
            List<String> all = texts(RelayReader.read(m).records());
            assertEquals(i, all.size());
            byte[] file = Files.readAllBytes(m.shardPath(0));
            ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
            int slot1 = RelayLayout.FILE_HEADER_SIZE + 512;
            int slot2 = slot1 + 512;
            b.putInt(slot1 + RelayLayout.SB_PADDING_OFFSET, 100_000);
            b.putInt(slot2 + 32, 1000); // a record length running past its sub-buffer
            Path bad = tmp.resolve("bad#0");
            Files.write(bad, file);
            RelayReader.Result r = RelayReader.read(bad);
            assertEquals(2, r.corruptSubbufs());
            List<String> got = texts(r.records());
            assertTrue(got.size() > 0 && got.size() < all.size());
            assertTrue(all.containsAll(got));
            assertEquals(all.get(0), got.get(0), "sub-buffer 0 is intact");
        }
    }

    @Test
    void randomDamageNeverCrashesTheReader(@TempDir Path tmp) throws Exception {
        try (RelayMap m = create(512, 4, 1, true)) {
            for (int i = 0; i < 200; i++) {
                assertEquals(0, m.output(("record " + i + "\n").getBytes(StandardCharsets.UTF_8)));
            }
            byte[] file = Files.readAllBytes(m.shardPath(0));
            Random rnd = new Random(42);
            Path p = tmp.resolve("fuzz#0");
            for (int round = 0; round < 300; round++) {
                byte[] f = file.clone();
                for (int k = 0; k < 1 + rnd.nextInt(8); k++) {
                    f[rnd.nextInt(f.length)] = (byte) rnd.nextInt();
                }
                Files.write(p, round % 10 == 0 ? Arrays.copyOf(f, rnd.nextInt(f.length)) : f);
                try {
                    RelayReader.Result r = RelayReader.read(p);
                    assertTrue(r.records().size() <= 200);
                } catch (SondeException expected) {
                    assertEquals(Errno.EINVAL, expected.errno(), expected.getMessage());
                }
            }
        }
    }

    private static List<String> texts(List<RelayRecord> records) {
        List<String> l = new ArrayList<>();
        for (RelayRecord r : records) {
            l.add(r.text());
        }
        return l;
    }

    private static void deleteTree(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
