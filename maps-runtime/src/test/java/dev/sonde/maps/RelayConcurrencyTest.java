package dev.sonde.maps;

import static dev.sonde.maps.RelayTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Four writers at once, two per shard, with readers and snapshots going on beside them; the parameterised tests
 * run again with private files ({@link MapSpec#F_RELAY_PRIVATE_SHARDS}), which a writer takes whenever it fills a
 * sub-buffer of its shard alone, and its shard's other writer takes over when it ends.
 */
class RelayConcurrencyTest {
    private static final int THREADS = 4;
    private static final int PER_THREAD = 150_000;
    /** The largest payload the writers below write (sizeOf's span of 100 over 20). */
    private static final int MAX_PAYLOAD = 120;

    /** Runs the writers; {@code ok[t][seq]} says whether write {@code seq} of thread {@code t} succeeded. */
    private static boolean[][] write(RelayMap m, Runnable sideJob, AtomicBoolean writing) throws Exception {
        return write(m, sideJob, writing, 0);
    }

    /** As above; with {@code flushEvery} > 0, writer 0 also flushes the relay before every that many writes. */
    private static boolean[][] write(RelayMap m, Runnable sideJob, AtomicBoolean writing, int flushEvery)
            throws Exception {
        boolean[][] ok = new boolean[THREADS][PER_THREAD];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CyclicBarrier start = new CyclicBarrier(THREADS + 1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int tid = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    byte[] buf = new byte[256];
                    for (int i = 0; i < PER_THREAD; i++) {
                        if (tid == 0 && flushEvery > 0 && i % flushEvery == 0) {
                            flush(m);
                        }
                        int size = sizeOf(i + tid * 7919L, 100);
                        fill(buf, size, tid, i);
                        int r;
                        if ((i & 1) == 0) {
                            r = m.output(buf, 0, size);
                        } else {
                            long h = m.reserve(size);
                            r = (int) Math.min(0, h);
                            if (h >= 0) {
                                m.putBytes(h, 0, buf, 0, size);
                                r = m.commit(h);
                            }
                        }
                        if (r == 0) {
                            ok[tid][i] = true;
                        } else if (r != -Errno.EAGAIN && r != -Errno.EBUSY) {
                            throw new AssertionError("unexpected " + Errno.name(r));
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts.add(th);
            th.start();
        }
        Thread side = new Thread(() -> {
            try {
                while (writing.get()) {
                    sideJob.run();
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        side.start();
        start.await();
        for (Thread th : ts) {
            th.join();
        }
        writing.set(false);
        side.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        return ok;
    }

    /** Every record valid and each thread's records strictly increasing. Returns records per thread. */
    private static int[] checkOrder(List<RelayRecord> recs) {
        long[] last = new long[THREADS];
        Arrays.fill(last, -1);
        int[] count = new int[THREADS];
        for (RelayRecord r : recs) {
            byte[] d = r.data();
            assertTrue(valid(d), "torn record " + r);
            int t = thread(d);
            long s = seq(d);
            assertTrue(s > last[t], "thread " + t + ": " + s + " after " + last[t]);
            last[t] = s;
            count[t]++;
        }
        return count;
    }

    @Test
    void overwriteKeepsEachThreadsNewestRecordsWithLiveReadersNeverSeeingATornOne() throws Exception {
        try (RelayMap m = create(4096, 8, 2, true)) {
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong liveReads = new AtomicLong();
            boolean[][] ok = write(m, () -> {
                checkOrder(RelayReader.read(m).records());
                liveReads.incrementAndGet();
            }, writing);
            assertTrue(liveReads.get() > 0);

            RelayReader.Result res = RelayReader.read(m);
            List<RelayRecord> recs = res.records();
            int[] present = checkOrder(recs);
            long lost = 0;
            long failed = 0;
            long[] firstSeq = new long[THREADS];
            Arrays.fill(firstSeq, Long.MAX_VALUE);
            for (RelayRecord r : recs) {
                int t = thread(r.data());
                firstSeq[t] = Math.min(firstSeq[t], seq(r.data()));
            }
            for (int t = 0; t < THREADS; t++) {
                int written = 0;
                int fromFirst = 0;
                for (int i = 0; i < PER_THREAD; i++) {
                    if (ok[t][i]) {
                        written++;
                        fromFirst += i >= firstSeq[t] ? 1 : 0;
                    } else {
                        failed++;
                    }
                }
                assertEquals(fromFirst, present[t], "thread " + t + ": every successful write from its oldest "
                        + "present record on is present");
                lost += written - present[t];
            }
            assertEquals(failed, m.dropped(), "every refused write is counted");
            assertEquals(THREADS * (long) PER_THREAD, recs.size() + lost + failed, "written = read + overwritten + dropped");
            assertTrue(m.overwritten() > 100, "the buffers wrapped many times");
            assertTrue(lost > 0);
            assertEquals(0, res.skipped());
            assertEquals(0, res.corruptSubbufs());
            assertEquals(0, res.leftOut());
        }
    }

    /**
     * A flush while writers go on: it closes the open sub-buffer, or finds no room (-EAGAIN) or a writer inside
     * (-EBUSY).
     */
    private static void flush(RelayMap m) {
        int r = m.relayFlush();
        assertTrue(r == 0 || r == -Errno.EAGAIN || r == -Errno.EBUSY, "flush gave " + Errno.name(r));
    }

    /**
     * No-overwrite mode: every successful write of each thread was read ({@code present}, from checkOrder) and none
     * got in after that thread's first refusal. Returns the refused writes.
     */
    private static long refusedAfterCheckingReads(boolean[][] ok, int[] present) {
        long failed = 0;
        for (int t = 0; t < THREADS; t++) {
            int written = 0;
            for (int i = 0; i < PER_THREAD; i++) {
                if (ok[t][i]) {
                    written++;
                    assertTrue(i < 1 || ok[t][i - 1], "thread " + t + ": nothing gets in after the first refusal");
                } else {
                    failed++;
                }
            }
            assertEquals(written, present[t], "thread " + t + ": every successful write is read");
        }
        return failed;
    }

    @ParameterizedTest(name = "private files: {0}")
    @ValueSource(booleans = {false, true})
    void noOverwriteCountsAddUpExactly(boolean privateShards) throws Exception {
        try (RelayMap m = create(8192, 16, 2, false, privateShards)) {
            AtomicBoolean writing = new AtomicBoolean(true);
            boolean[][] ok = write(m, () -> checkOrder(RelayReader.read(m).records()), writing);
            RelayReader.Result res = RelayReader.read(m);
            long failed = refusedAfterCheckingReads(ok, checkOrder(res.records()));
            assertEquals(failed, m.dropped());
            assertEquals(failed, res.dropped());
            assertEquals(THREADS * (long) PER_THREAD, res.records().size() + failed, "written = read + dropped");
            assertTrue(failed > 0, "the relay filled up");
        }
    }

    /**
     * Flushes race the writers' claims for the same positions (both go through RelayWriter.advance): writer 0
     * flushes every 100 writes while the other three write, and a side thread flushes too.
     */
    @ParameterizedTest(name = "private files: {0}")
    @ValueSource(booleans = {false, true})
    void flushesWhileWritersGoOnLoseNothingAndCountExactly(boolean privateShards) throws Exception {
        int subbuf = 8192;
        try (RelayMap m = create(subbuf, 64, 2, false, privateShards)) {
            AtomicBoolean writing = new AtomicBoolean(true);
            boolean[][] ok = write(m, () -> flush(m), writing, 100);
            RelayReader.Result res = RelayReader.read(m);
            long failed = refusedAfterCheckingReads(ok, checkOrder(res.records()));
            assertEquals(failed, m.dropped(), "a refused flush drops nothing; refused writes are all counted");
            assertEquals(THREADS * (long) PER_THREAD, res.records().size() + failed, "written = read + dropped");
            // A sub-buffer closed because the next record did not fit keeps less than a record's worth of padding;
            // one a flush closed may keep more. Writer 0's flushes before writes that succeeded ran while the
            // relay had room, with the other writers filling the open sub-buffer: three of them make an empty one
            // at every flush all but impossible.
            int flushesWithRoom = 0;
            for (int i = 100; i < PER_THREAD; i += 100) {
                flushesWithRoom += ok[0][i] ? 1 : 0;
            }
            if (flushesWithRoom >= 3) {
                int full = subbuf - RelayLayout.SUBBUF_HEADER_SIZE - RelayLayout.recordSize(MAX_PAYLOAD);
                Map<Long, Long> bytesPerLap = new HashMap<>();
                for (RelayRecord r : res.records()) {
                    bytesPerLap.merge((long) r.shard() << 32 | r.lap(),
                            (long) RelayLayout.recordSize(r.data().length), Long::sum);
                }
                assertTrue(bytesPerLap.values().stream().anyMatch(b -> b < full), flushesWithRoom
                        + " flushes ran while the relay had room, and none closed a sub-buffer early");
            }
        }
    }

    @ParameterizedTest(name = "private files: {0}")
    @ValueSource(booleans = {false, true})
    void flushesInOverwriteModeNeverTearOrReorderARecord(boolean privateShards) throws Exception {
        try (RelayMap m = create(4096, 8, 2, true, privateShards)) {
            AtomicBoolean writing = new AtomicBoolean(true);
            write(m, () -> {
                int r = m.relayFlush();
                assertTrue(r == 0 || r == -Errno.EBUSY, "flush gave " + Errno.name(r));
                checkOrder(RelayReader.read(m).records());
            }, writing);
            assertEquals(0, m.relayFlush(), "with the writers gone, a flush closes the open sub-buffers");
            int[] present = checkOrder(RelayReader.read(m).records());
            assertTrue(Arrays.stream(present).sum() > 0, "the newest records are there");
        }
    }

    @ParameterizedTest(name = "private files: {0}")
    @ValueSource(booleans = {false, true})
    void snapshotsTakenWhileWritersGoOnAreConsistent(boolean privateShards, @TempDir Path tmp) throws Exception {
        try (RelayMap m = create(4096, 8, 2, true, privateShards)) {
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong snaps = new AtomicLong();
            AtomicLong nonEmpty = new AtomicLong();
            write(m, () -> {
                Path dir = tmp.resolve("snap" + snaps.incrementAndGet());
                m.snapshot(dir);
                RelayReader.Result r = RelayReader.readAll(dir, m.baseName());
                checkOrder(r.records());
                assertEquals(0, r.corruptSubbufs());
                nonEmpty.addAndGet(r.records().isEmpty() ? 0 : 1);
            }, writing);
            assertTrue(nonEmpty.get() > 0, snaps.get() + " snapshots, none with a record");

            // Quiescent: the snapshot holds exactly what the live files hold.
            m.snapshot(tmp.resolve("final"));
            List<RelayRecord> snap = RelayReader.readAll(tmp.resolve("final"), m.baseName()).records();
            List<RelayRecord> live = RelayReader.read(m).records();
            assertEquals(live.size(), snap.size());
            for (int i = 0; i < live.size(); i++) {
                assertArrayEquals(live.get(i).data(), snap.get(i).data());
            }
        }
    }
}
