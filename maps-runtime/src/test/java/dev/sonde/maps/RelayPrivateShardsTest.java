package dev.sonde.maps;

import static dev.sonde.maps.RelayTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MapSpec#F_RELAY_PRIVATE_SHARDS}: who gets a shard's private file and when, where each write goes, and
 * that readers, snapshots, flushes and reservations see the private files as any other shard file.
 */
class RelayPrivateShardsTest {
    private static final int SUBBUF = 4096;

    /** The payloads of {@code recs} written by {@code thread}, as sequence numbers, in the order read. */
    private static List<Long> seqs(List<RelayRecord> recs, int thread) {
        List<Long> out = new ArrayList<>();
        for (RelayRecord r : recs) {
            assertTrue(valid(r.data()), "torn record " + r);
            if (thread(r.data()) == thread) {
                out.add(seq(r.data()));
            }
        }
        return out;
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }

    /** Writes records {@code [from, to)} of {@code thread}, alternating output and reserve/putBytes/commit. */
    private static void write(RelayMap m, int thread, long from, long to) {
        byte[] buf = new byte[256];
        for (long i = from; i < to; i++) {
            int size = sizeOf(i, 100);
            fill(buf, size, thread, i);
            if ((i & 1) == 0) {
                assertEquals(0, m.output(buf, 0, size), "write " + i);
            } else {
                long h = m.reserve(size);
                assertTrue(h >= 0, "reserve " + i + ": " + h);
                assertEquals(0, m.putBytes(h, 0, buf, 0, size));
                assertEquals(0, m.commit(h));
            }
        }
    }

    /** Runs {@code body} on a new thread and waits for it to end; rethrows what it threw. */
    private static Thread runAlone(Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        return t;
    }

    @SuppressWarnings("deprecation")
    private static int shardOf(Thread t, RelayMap m) {
        return (int) t.getId() & (m.numShards() - 1);
    }

    @Test
    void aThreadThatFillsASubbufferAloneGetsItsShardsPrivateFileAndItsRecordsStayInOrder() {
        // The coarse clock gives many records the same timestamp: the order across the two files then rests on
        // the tie-break by file number.
        MapSpec spec = spec(SUBBUF, 64, 2, false)
                .flags(MapSpec.F_RELAY_PRIVATE_SHARDS | MapSpec.F_RELAY_COARSE_CLOCK).build();
        try (RelayMap m = (RelayMap) Maps.create(spec)) {
            assertEquals(4, m.numFiles());
            int shard = shardOf(Thread.currentThread(), m);
            write(m, 7, 0, 30);
            assertNull(m.privateOwner(shard), "less than a sub-buffer written: no private file yet");
            write(m, 7, 30, 2500);
            assertSame(Thread.currentThread(), m.privateOwner(shard));
            assertNull(m.privateOwner(1 - shard));

            List<RelayRecord> recs = RelayReader.read(m).records();
            assertEquals(range(0, 2500), seqs(recs, 7), "every record, in the order written");
            int firstPrivate = -1;
            for (int i = 0; i < recs.size(); i++) {
                int file = recs.get(i).shard();
                assertTrue(file == shard || file == 2 + shard, "record " + i + " in file " + file);
                if (file == 2 + shard && firstPrivate < 0) {
                    firstPrivate = i;
                }
                if (firstPrivate >= 0) {
                    assertEquals(2 + shard, file, "once in its private file, the thread stays there");
                }
            }
            // The thread wrote the shared file's first sub-buffer alone: the write that closed it, the first of the
            // next one, is its last in the shared file, and every later write goes to the private file.
            assertEquals(1, recs.get(firstPrivate - 1).lap(), "moved after closing one sub-buffer");
            assertEquals(0, recs.get(firstPrivate - 2).lap());
            assertEquals(0, recs.get(firstPrivate).lap());
            assertEquals(0, m.dropped());
        }
    }

    @Test
    void anotherThreadOfTheSameShardWritesTheSharedFileWhileTheOwnerLives() throws Exception {
        try (RelayMap m = create(SUBBUF, 64, 1, false, true)) {
            write(m, 0, 0, 200);
            assertSame(Thread.currentThread(), m.privateOwner(0));
            Thread other = runAlone(() -> write(m, 1, 0, 500));
            assertSame(Thread.currentThread(), m.privateOwner(0), "a live owner keeps its file");
            write(m, 0, 200, 400);

            List<RelayRecord> recs = RelayReader.read(m).records();
            assertEquals(range(0, 400), seqs(recs, 0));
            assertEquals(range(0, 500), seqs(recs, 1));
            for (RelayRecord r : recs) {
                if (thread(r.data()) == 1) {
                    assertEquals(0, r.shard(), "the other thread writes the shared file");
                } else if (seq(r.data()) >= 200) {
                    assertEquals(1, r.shard(), "the owner writes its private file");
                }
            }
            assertFalse(other.isAlive());
        }
    }

    @Test
    void whenTheOwnerEndsTheNextThreadToFillASubbufferAloneTakesTheFileOverWhereItStopped() throws Exception {
        try (RelayMap m = create(SUBBUF, 64, 1, false, true)) {
            AtomicReference<Thread> first = new AtomicReference<>();
            Thread a = runAlone(() -> {
                write(m, 0, 0, 300);
                first.set(m.privateOwner(0));
            });
            assertSame(a, first.get());
            long posAfterA = (long) MapMemory.LONG.getAcquire(m.shardBuffer(1), RelayLayout.POS_OFFSET);

            AtomicReference<Thread> second = new AtomicReference<>();
            Thread b = runAlone(() -> {
                write(m, 1, 0, 60);
                second.set(m.privateOwner(0)); // the dead thread still holds it: nobody took it yet
                write(m, 1, 60, 300);
            });
            assertSame(a, second.get());
            assertSame(b, m.privateOwner(0), "the lone writer took the dead owner's file");

            List<RelayRecord> recs = RelayReader.read(m).records();
            assertEquals(range(0, 300), seqs(recs, 0));
            assertEquals(range(0, 300), seqs(recs, 1));
            List<RelayRecord> inPrivate = new ArrayList<>();
            for (RelayRecord r : recs) {
                if (r.shard() == 1) {
                    inPrivate.add(r);
                }
            }
            int switchAt = -1;
            for (int i = 0; i < inPrivate.size(); i++) {
                if (thread(inPrivate.get(i).data()) == 1) {
                    switchAt = switchAt < 0 ? i : switchAt;
                } else {
                    assertTrue(switchAt < 0, "the file holds the first owner's records, then the second's");
                }
            }
            assertTrue(switchAt > 0, "both owners wrote the private file");
            assertTrue(inPrivate.get(switchAt).lap() >= inPrivate.get(switchAt - 1).lap());
            assertTrue((long) MapMemory.LONG.getAcquire(m.shardBuffer(1), RelayLayout.POS_OFFSET) > posAfterA,
                    "the second owner went on from the first one's position");
            assertEquals(0, m.dropped());
        }
    }

    @Test
    void aPrivateFileIsFlushedByItsOwnerOrOnceItsOwnerEndedNeverUnderALiveOne() throws Exception {
        try (RelayMap m = create(SUBBUF, 64, 1, false, true)) {
            CountDownLatch owning = new CountDownLatch(1);
            CountDownLatch flushed = new CountDownLatch(1);
            CountDownLatch flushOwn = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long[] posAfterOwnFlush = new long[1];
            Thread a = new Thread(() -> {
                try {
                    write(m, 0, 0, 300);
                    owning.countDown();
                    flushed.await();
                    flushOwn.await();
                    assertEquals(0, m.relayFlush());
                    posAfterOwnFlush[0] = (long) MapMemory.LONG.getAcquire(m.shardBuffer(1), RelayLayout.POS_OFFSET);
                    write(m, 0, 300, 310);
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            a.start();
            owning.await();
            assertSame(a, m.privateOwner(0));
            long before = (long) MapMemory.LONG.getAcquire(m.shardBuffer(1), RelayLayout.POS_OFFSET);
            assertEquals(0, m.relayFlush());
            assertEquals(before, (long) MapMemory.LONG.getAcquire(m.shardBuffer(1), RelayLayout.POS_OFFSET),
                    "a flush from another thread leaves a live owner's file alone");
            flushed.countDown();
            flushOwn.countDown();
            a.join();
            assertNull(failure.get());
            int sbs = m.subbufSize();
            assertEquals(RelayLayout.SUBBUF_HEADER_SIZE, RelayLayout.offsetOf(posAfterOwnFlush[0], sbs),
                    "the owner's flush closed its sub-buffer");

            assertSame(a, m.privateOwner(0));
            assertEquals(0, m.relayFlush());
            long after = (long) MapMemory.LONG.getAcquire(m.shardBuffer(1), RelayLayout.POS_OFFSET);
            assertEquals(RelayLayout.SUBBUF_HEADER_SIZE, RelayLayout.offsetOf(after, sbs),
                    "once the owner ended, any thread's flush closes the file");
            assertNull(m.privateOwner(0), "the flush gave the file back");
            assertEquals(range(0, 310), seqs(RelayReader.read(m).records(), 0));
        }
    }

    @Test
    void snapshotsDirectoryReadsAndMapsOpenedFromTheirFilesSeeThePrivateFiles(@TempDir Path tmp) throws Exception {
        try (RelayMap m = create(SUBBUF, 64, 2, false, true)) {
            write(m, 0, 0, 400);
            Path snap = tmp.resolve("snap");
            m.snapshot(snap);
            int shard = shardOf(Thread.currentThread(), m);
            assertTrue(Files.exists(snap.resolve(m.baseName() + "#" + (2 + shard))));
            List<RelayRecord> live = RelayReader.read(m).records();
            List<RelayRecord> copied = RelayReader.readAll(snap, m.baseName()).records();
            List<RelayRecord> files = RelayReader.readAll(m.shardPath(0).getParent(), m.baseName()).records();
            assertEquals(range(0, 400), seqs(copied, 0));
            assertEquals(seqs(live, 0), seqs(files, 0));

            try (RelayMap opened = (RelayMap) Maps.open(m.path())) {
                assertEquals(4, opened.numFiles());
                assertEquals(range(0, 400), seqs(RelayReader.read(opened).records(), 0));
            }
        }
    }

    @Test
    void aReservationInAPrivateFileNamesThatFileAndDiscardWorks() {
        try (RelayMap m = create(SUBBUF, 64, 1, false, true)) {
            write(m, 0, 0, 200);
            assertSame(Thread.currentThread(), m.privateOwner(0));
            long h = m.reserve(40);
            assertEquals(1, h >>> 32, "the handle names the private file");
            assertEquals(0, m.discard(h));
            assertEquals(-Errno.EINVAL, m.commit(h), "a discarded reservation is no longer pending");
            write(m, 0, 200, 202);
            assertEquals(range(0, 202), seqs(RelayReader.read(m).records(), 0));
        }
    }

    @Test
    void withoutTheFlagThereIsOneFilePerShardAndNoOwner() {
        try (RelayMap m = create(SUBBUF, 64, 2, false, false)) {
            write(m, 0, 0, 400);
            assertEquals(2, m.numFiles());
            assertNull(m.privateOwner(0));
            assertNull(m.privateOwner(1));
            for (RelayRecord r : RelayReader.read(m).records()) {
                assertEquals(shardOf(Thread.currentThread(), m), r.shard());
            }
        }
    }

    /**
     * Owners come and go while other writers share their shards: four rounds of four new threads, each round
     * opening with one thread per shard writing alone (it takes the file the last round's owner left), then all
     * writing at once with random pauses, ending at different times. Every write that succeeded is read back once,
     * in its thread's order; every refused one is counted as dropped.
     */
    @Test
    void ownersComeAndGoUnderConcurrentWritersAndEveryRecordIsCountedInOrder() throws Exception {
        int rounds = 4;
        int perRound = 4;
        int perThread = 10_000;
        try (RelayMap m = create(16384, 256, 2, false, true)) {
            boolean[][] ok = new boolean[rounds * perRound][perThread];
            int[] attempts = new int[rounds * perRound];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Set<Thread> owners = new HashSet<>();
            for (int round = 0; round < rounds; round++) {
                List<Thread> ts = new ArrayList<>();
                Set<Thread> soloSet = java.util.concurrent.ConcurrentHashMap.newKeySet();
                CountDownLatch[] soloReached = new CountDownLatch[1];
                CountDownLatch soloDone = new CountDownLatch(1);
                CountDownLatch go = new CountDownLatch(1);
                for (int k = 0; k < perRound; k++) {
                    int tid = round * perRound + k;
                    ts.add(new Thread(() -> {
                        try {
                            go.await();
                            byte[] buf = new byte[256];
                            int n = perThread - ThreadLocalRandom.current().nextInt(perThread / 2);
                            attempts[tid] = n; // read after join
                            for (int i = 0; i < n; i++) {
                                if (i == 500 && soloSet.contains(Thread.currentThread())) {
                                    soloReached[0].countDown();
                                    soloDone.await(); // soloists wait here for the others to be let in
                                }
                                int size = sizeOf(i + tid * 7919L, 100);
                                fill(buf, size, tid, i);
                                int r = m.output(buf, 0, size);
                                if (r == 0) {
                                    ok[tid][i] = true;
                                } else if (r != -Errno.EAGAIN) {
                                    throw new AssertionError("unexpected " + Errno.name(r));
                                }
                                if (ThreadLocalRandom.current().nextInt(2000) == 0) {
                                    LockSupport.parkNanos(50_000);
                                }
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }));
                }
                // One soloist per shard writes 500 records alone (almost three sub-buffers): it closes one it wrote
                // alone from its first record, which hands it the file.
                Set<Integer> shardsTaken = new HashSet<>();
                List<Thread> soloists = new ArrayList<>();
                for (Thread t : ts) {
                    if (shardsTaken.add(shardOf(t, m))) {
                        soloists.add(t);
                    }
                }
                soloSet.addAll(soloists);
                soloReached[0] = new CountDownLatch(soloists.size());
                soloists.forEach(Thread::start);
                go.countDown();
                soloReached[0].await();
                for (Thread t : soloists) {
                    Thread o = m.privateOwner(shardOf(t, m));
                    assertSame(t, o, "round " + round + ": the soloist took its shard's file");
                    owners.add(o);
                }
                soloDone.countDown();
                for (Thread t : ts) {
                    if (!soloists.contains(t)) {
                        t.start();
                    }
                }
                for (Thread t : ts) {
                    t.join();
                }
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertTrue(owners.size() >= rounds, owners.size() + " owners");

            RelayReader.Result res = RelayReader.read(m);
            long failed = 0;
            for (int t = 0; t < ok.length; t++) {
                List<Long> expected = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                    if (ok[t][i]) {
                        expected.add((long) i);
                    } else if (i < attempts[t]) {
                        failed++;
                    }
                }
                assertEquals(expected, seqs(res.records(), t), "thread " + t + ": every write read back, in order");
            }
            long privately = res.records().stream().filter(r -> r.shard() >= m.numShards()).count();
            assertTrue(privately > 0);
            assertEquals(0, res.skipped());
            assertEquals(failed, m.dropped(), "every refused write is counted");
            assertEquals(failed, res.dropped());
        }
    }
}
