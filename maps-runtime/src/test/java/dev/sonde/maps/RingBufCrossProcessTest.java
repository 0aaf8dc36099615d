package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A second JVM produces into a ring; this one consumes it through {@link Maps#open(Path)}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RingBufCrossProcessTest {
    static final int N = 200_000;

    static long checksum(long seq) {
        long x = seq * 0xC2B2AE3D27D4EB4FL;
        return x ^ (x >>> 31);
    }

    static int sizeOf(long seq) {
        return 16 + (int) (seq % 23) * 8;
    }

    @Test
    void childProducesParentConsumesFromTheFile() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dsonde.dir=" + SondeDir.base(), RingBufChildProducer.class.getName(), Integer.toString(N));
        pb.redirectErrorStream(true);
        Process child = pb.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line = out.readLine();
            assertNotNull(line, "child said nothing");
            assertTrue(line.startsWith("READY "), line);
            Path path = Paths.get(line.substring(6));
            BpfMap opened = Maps.open(path);
            assertTrue(opened instanceof RingBuf);
            RingBuf rb = (RingBuf) opened;
            assertTrue(rb.readOnly());
            assertEquals(-Errno.EPERM, rb.reserve(8), "a read-only ring cannot be produced into");
            long[] next = {0};
            String[] error = {null};
            try (RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> {
                long seq = rec.getLong(rec.position());
                if (seq != next[0] || rec.remaining() != sizeOf(seq)
                        || rec.getLong(rec.position() + 8) != checksum(seq)) {
                    error[0] = "expected seq " + next[0] + ", got " + seq + " (" + rec.remaining() + " bytes)";
                    return -1;
                }
                next[0]++;
                return 0;
            })) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
                while (next[0] < N && System.nanoTime() < deadline) {
                    int r = consumer.poll(100);
                    assertTrue(r >= 0, () -> error[0]);
                }
            }
            assertEquals(N, next[0], "every record, in order");
            String done = out.readLine();
            assertNotNull(done);
            assertTrue(done.startsWith("DONE"), done);
            assertTrue(child.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue());
            rb.close();
        } finally {
            child.destroyForcibly();
        }
    }
}
