package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The scenarios of {@code tools/testing/selftests/bpf/prog_tests/ringbuf.c} and {@code ringbuf_multi.c}, with
 * {@link #trigger} playing the BPF program, plus ordering, discards, wrap-around and a full ring.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RingBufTest {
    /** The selftest's {@code struct sample}: pid, seq, value, comm[16]. */
    static final int SAMPLE_SIZE = 32;
    static final int REC_SZ = SAMPLE_SIZE + 8;
    static final int EDONE = 7777;

    private static RingBuf ring(String name, int size) {
        return (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name(name).maxEntries(size).build());
    }

    /** What {@code progs/test_ringbuf.c} keeps in its .bss. */
    static final class Prog {
        int seq;
        long dropped, total, discarded;
        long availData, ringSize, consPos, prodPos;
        long flags;

        /**
         * One run: reserve a sample; an even seq is submitted, an odd one is copied out with output() and the
         * reserved one discarded. Then the query values are taken.
         */
        void run(RingBuf rb, long value) {
            long h = rb.reserve(SAMPLE_SIZE);
            if (h < 0) {
                dropped++;
                return;
            }
            int s = seq++;
            rb.putInt(h, 0, 4242);
            rb.putInt(h, 4, s);
            rb.putLong(h, 8, value);
            assertEquals(0, rb.putBytes(h, 16, "test_progs\0\0\0\0\0\0".getBytes(), 0, 16));
            total++;
            if ((s & 1) != 0) {
                ByteBuffer copy = ByteBuffer.allocate(SAMPLE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
                copy.putInt(0, 4242).putInt(4, s).putLong(8, value);
                assertEquals(0, rb.output(copy, flags));
                assertEquals(0, rb.discard(h, flags));
                discarded++;
            } else {
                assertEquals(0, rb.commit(h, flags));
            }
            availData = rb.query(RingBuf.AVAIL_DATA);
            ringSize = rb.query(RingBuf.RING_SIZE);
            consPos = rb.query(RingBuf.CONS_POS);
            prodPos = rb.query(RingBuf.PROD_POS);
        }

        void trigger(RingBuf rb) {
            run(rb, 333);
            run(rb, 777);
        }
    }

    @Test
    void kernelSelftestRingbuf() throws Exception {
        try (RingBuf rb = ring("rb_selftest", 4096)) {
            Prog prog = new Prog();
            AtomicInteger samples = new AtomicInteger();
            List<Long> values = new ArrayList<>();
            RingBufCallback cb = rec -> {
                assertEquals(SAMPLE_SIZE, rec.remaining());
                assertTrue(rec.isReadOnly());
                assertEquals(4242, rec.getInt(rec.position()));
                long value = rec.getLong(rec.position() + 8);
                values.add(value);
                samples.incrementAndGet();
                return value == 777 ? -EDONE : 0;
            };
            try (RingBufConsumer consumer = RingBufConsumer.create(rb, cb)) {
                prog.trigger(rb);
                // 2 submitted + 1 discarded records
                assertEquals(3 * REC_SZ, prog.availData);
                assertEquals(4096, prog.ringSize);
                assertEquals(0, prog.consPos);
                assertEquals(3 * REC_SZ, prog.prodPos);
                assertEquals(1, rb.wakeups(), "only the first commit found the consumer waiting at its record");

                assertEquals(-EDONE, consumer.poll(-1), "the callback's error stops consumption");
                assertEquals(2, samples.getAndSet(0));
                assertEquals(List.of(333L, 777L), values);
                assertEquals(0, consumer.poll(0), "nothing more");
                assertEquals(0, prog.dropped);
                assertEquals(2, prog.total);
                assertEquals(1, prog.discarded);
                assertEquals(1, rb.discardedRecords());

                // the consumer position moved and producers see it
                prog.trigger(rb);
                assertEquals(3 * REC_SZ, prog.consPos);
                assertEquals(3 * REC_SZ, prog.availData);
                assertEquals(2, rb.wakeups());
                assertTrue(consumer.poll(-1) < 0);
                assertEquals(2, samples.getAndSet(0));

                // background poll with a long time-out; notifications off
                // the poll's time-out is far beyond the test's wait: only a wake-up can end it in time
                CompletableFuture<Integer> bg = CompletableFuture.supplyAsync(() -> consumer.poll(60_000));
                prog.flags = RingBuf.NO_WAKEUP;
                Thread.sleep(50);
                prog.trigger(rb);
                Thread.sleep(50);
                assertFalse(bg.isDone(), "NO_WAKEUP commits leave the poller asleep");
                assertEquals(0, samples.get());
                long wakeups = rb.wakeups();

                // adaptive mode again: the consumer is behind (its record is committed already), so no wake-up
                prog.flags = 0;
                prog.trigger(rb);
                Thread.sleep(20);
                assertFalse(bg.isDone(), "a consumer that is behind is not woken");
                assertEquals(wakeups, rb.wakeups());
                assertEquals(0, samples.get());

                prog.run(rb, 333); // seq 8, submitted while the consumer is behind: no wake-up
                assertEquals(wakeups, rb.wakeups());
                prog.flags = RingBuf.FORCE_WAKEUP;
                prog.run(rb, 777); // seq 9: output + discard, both forced
                assertEquals(wakeups + 2, rb.wakeups(), "FORCE_WAKEUP wakes whatever the consumer position");
                int r = bg.get(5, TimeUnit.SECONDS);
                assertEquals(-EDONE, r, "woken, and stopped at the first 777 sample");
                for (int i = 0; i < 3 && samples.get() < 6; i++) {
                    consumer.poll(0);
                }
                assertEquals(6, samples.get(), "3 rounds, 2 samples each");
                assertEquals(0, rb.query(RingBuf.AVAIL_DATA));
            }
        }
    }

    @Test
    void queryValuesAtEachStep() {
        try (RingBuf rb = ring("rb_query", 4096)) {
            long a = rb.reserve(10);
            long b = rb.reserve(1);
            assertEquals(16 + 24, rb.query(RingBuf.PROD_POS), "10 -> 24 bytes, 1 -> 16 bytes, 8-aligned with header");
            assertEquals(40, rb.query(RingBuf.AVAIL_DATA));
            assertEquals(0, rb.query(RingBuf.OVERWRITE_POS));
            rb.commit(b, 0);
            RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> 0);
            assertEquals(0, consumer.consume(), "the first record is still busy: nothing is visible");
            assertEquals(0, rb.query(RingBuf.CONS_POS));
            rb.commit(a, 0);
            assertEquals(2, consumer.consume());
            assertEquals(40, rb.query(RingBuf.CONS_POS));
            assertEquals(0, rb.query(RingBuf.AVAIL_DATA));
            consumer.close();
        }
    }

    @Test
    void kernelSelftestRingbufMulti() throws Exception {
        try (RingBuf rb1 = ring("rb_multi1", 4096); RingBuf rb2 = ring("rb_multi2", 8192)) {
            List<String> seen = new ArrayList<>();
            try (RingBufConsumer consumer = RingBufConsumer.create(rb1, rec -> {
                seen.add("1:" + rec.getLong(rec.position()));
                return 0;
            })) {
                consumer.add(rb2, rec -> {
                    seen.add("2:" + rec.getLong(rec.position()));
                    return 0;
                });
                assertThrows(SondeException.class, () -> consumer.add(rb1, rec -> 0));
                assertEquals(2, consumer.ringCount());
                assertEquals(0, rb1.output(longBytes(333), 0));
                assertEquals(0, rb2.output(longBytes(777), 0));
                assertEquals(2, consumer.poll(-1));
                assertEquals(List.of("1:333", "2:777"), seen);
                // a commit on the second ring wakes the one poller
                CompletableFuture<Integer> bg = CompletableFuture.supplyAsync(() -> consumer.poll(60_000));
                sleepQuietly(30);
                assertEquals(0, rb2.output(longBytes(555), 0));
                assertEquals(1, bg.get(5, TimeUnit.SECONDS), "woken by the commit, long before the time-out");
                assertEquals("2:555", seen.get(2));
                assertEquals(2, rb2.wakeups());
                assertEquals(1, rb1.wakeups());
                // consumeN stops at n across rings
                for (int i = 0; i < 3; i++) {
                    rb1.output(longBytes(i), RingBuf.NO_WAKEUP);
                    rb2.output(longBytes(10 + i), RingBuf.NO_WAKEUP);
                }
                assertEquals(4, consumer.consumeN(4));
                assertEquals(2, consumer.consume());
            }
        }
    }

    @Test
    void aPollerThatJustGotRecordsIsNotWokenAndOneThatParksIs() throws Exception {
        try (RingBuf rb = ring("rb_awake", 4096); RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> 0)) {
            assertEquals(0, rb.output(longBytes(1), 0));
            assertEquals(1, rb.wakeups(), "nobody polls yet: the consumer caught up with this record may sleep");
            assertEquals(1, consumer.poll(-1));
            // Between two polls of a draining loop the consumer is awake: a commit decides no wake-up.
            assertEquals(0, rb.output(longBytes(2), 0));
            assertEquals(1, rb.wakeups());
            assertEquals(1, consumer.poll(-1));
            CompletableFuture<Integer> bg = CompletableFuture.supplyAsync(() -> consumer.poll(60_000));
            sleepQuietly(50); // parked by now: the brief phase lasts microseconds
            assertEquals(0, rb.output(longBytes(3), 0));
            assertEquals(1, bg.get(5, TimeUnit.SECONDS), "woken long before the time-out");
            assertEquals(2, rb.wakeups(), "the commit found the parked consumer waiting at its record");
            assertEquals(0, consumer.poll(0), "nothing more; a poll that finds nothing clears the mark");
            assertEquals(0, rb.output(longBytes(4), 0));
            assertEquals(3, rb.wakeups());
        }
    }

    @Test
    void aClaimMadeWhileTheConsumerIsAwakeCommitsQuietlyAndStillReachesAParkedConsumer() throws Exception {
        try (RingBuf rb = ring("rb_quiet", 4096); RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> 0)) {
            assertEquals(0, rb.output(longBytes(1), 0));
            assertEquals(1, consumer.poll(-1)); // draining: the ring stays marked as being consumed
            // 1. Seen the mark, so its commit is quiet; committed with NO_WAKEUP it wakes nobody, yet the consumer,
            // which parked behind it, gets it long before its time-out: it saw the quiet claim and parks in steps.
            long h = rb.reserve(8);
            long wakeups = rb.wakeups();
            CompletableFuture<Integer> bg = CompletableFuture.supplyAsync(() -> consumer.poll(60_000));
            sleepQuietly(50);
            rb.putLong(h, 0, 2L);
            assertEquals(0, rb.commit(h, RingBuf.NO_WAKEUP));
            int hdr = (int) h - RingBufLayout.HEADER_SIZE;
            assertEquals(RingBufLayout.pageOffset(hdr - RingBufLayout.DATA_OFFSET), rb.memory().getInt(hdr + 4),
                    "the committed header's pg_off is the kernel's, without the quiet mark");
            assertEquals(1, bg.get(5, TimeUnit.SECONDS), "the parked consumer got the record long before its time-out");
            assertEquals(wakeups, rb.wakeups(), "NO_WAKEUP decides no wake-up");
            // 2. A quiet claim committed with the default flags wakes a consumer that it sees parked.
            assertEquals(0, rb.output(longBytes(3), 0));
            assertEquals(1, consumer.poll(-1));
            long h2 = rb.reserve(8);
            bg = CompletableFuture.supplyAsync(() -> consumer.poll(60_000));
            sleepQuietly(50);
            long before = rb.wakeups();
            assertEquals(0, rb.commit(h2, 0));
            assertEquals(1, bg.get(5, TimeUnit.SECONDS));
            assertEquals(before + 1, rb.wakeups(), "the quiet commit found the consumer parked at its record");
        }
    }

    @Test
    void pollTimesOutWithZero() {
        try (RingBuf rb = ring("rb_timeout", 4096); RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> 0)) {
            assertEquals(0, consumer.poll(20));
            assertEquals(0, consumer.poll(0));
            rb.output(new byte[3], 0);
            assertEquals(1, consumer.poll(20));
        }
    }

    @Test
    void batchedWakeupsWakeAboutFourTimesALapAndLoseNothing() {
        long[] got = new long[1];
        try (RingBuf rb = ring("rb_batched", 4096);
                RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> {
                    got[0]++;
                    return 0;
                })) {
            int n = 0;
            int forced = 0;
            for (int lap = 0; lap < 10; lap++) {
                for (int i = 0; i < 4096 / REC_SZ; i++) { // 102 records of 40 bytes: 4080 of the ring's 4096
                    long h = rb.reserve(SAMPLE_SIZE);
                    assertTrue(h >= 0, "reserve: " + h);
                    long flags = rb.batchedWakeup(h, SAMPLE_SIZE);
                    forced += flags == RingBuf.FORCE_WAKEUP ? 1 : 0;
                    assertEquals(0, rb.commit(h, flags));
                    n++;
                }
                assertEquals(4096 / REC_SZ, consumer.consume());
            }
            assertEquals(n, got[0], "every record delivered");
            // 40800 bytes cross 39 quarter boundaries; each gives one forced wake-up, two when a record ends on it.
            assertTrue(forced >= 39 && forced <= 80, "forced wake-ups: " + forced + " of " + n);
            assertEquals(forced, rb.wakeups(), "only the forced commits woke");
        }
    }

    @Test
    void outOfOrderCommitsAreDeliveredInReservationOrder() {
        try (RingBuf rb = ring("rb_order", 4096)) {
            List<Long> got = new ArrayList<>();
            RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> {
                got.add(rec.getLong(rec.position()));
                return 0;
            });
            long[] h = new long[5];
            for (int i = 0; i < 5; i++) {
                h[i] = rb.reserve(8);
                rb.putLong(h[i], 0, i);
            }
            rb.commit(h[4], 0);
            rb.commit(h[2], 0);
            rb.commit(h[1], 0);
            assertEquals(0, consumer.consume(), "record 0 is busy, so nothing after it is visible");
            rb.discard(h[0], 0);
            assertEquals(2, consumer.consume(), "1 and 2; 3 is busy");
            rb.commit(h[3], 0);
            assertEquals(2, consumer.consume());
            assertEquals(List.of(1L, 2L, 3L, 4L), got);
            assertEquals(1, rb.discardedRecords());
            consumer.close();
        }
    }

    @Test
    void fullRingFailsAtOnceAndCountsDrops() {
        try (RingBuf rb = ring("rb_full", 4096)) {
            int ok = 0;
            while (rb.reserve(REC_SZ - 8) >= 0) {
                ok++;
            }
            // 4096 / 40 = 102 records fill 4080 bytes; the producer stays under size - 1 bytes ahead
            assertEquals(102, ok);
            assertEquals(-Errno.EAGAIN, rb.output(new byte[8], 0));
            assertEquals(2, rb.droppedRecords());
            assertEquals(102 * REC_SZ, rb.query(RingBuf.PROD_POS));
            long h = rb.reserve(0);
            assertTrue(h >= 0, "an empty record (8 bytes) still fits the last 16 bytes");
        }
    }

    @Test
    void dropsAndDiscardsFromManyThreadsAreCountedExactly() throws Exception {
        try (RingBuf rb = ring("rb_striped", 4096)) {
            while (rb.reserve(REC_SZ - 8) >= 0) {
                // fill; the reservations stay pending
            }
            long dropped = rb.droppedRecords();
            int threads = 8;
            int attempts = 20_000;
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                ts[t] = new Thread(() -> {
                    for (int i = 0; i < attempts; i++) {
                        assertEquals(-Errno.EAGAIN, rb.output(new byte[8], 0));
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            // 8 threads land on 8 different stripes at most; the count is their sum, none lost.
            assertEquals(dropped + (long) threads * attempts, rb.droppedRecords());
        }
    }

    @Test
    void wrapAroundWithMixedSizesKeepsEveryByte() {
        try (RingBuf rb = ring("rb_wrap", 4096)) {
            int[] sizes = {1, 13, 200, 1000, 7, 3000, 64, 2500, 0, 999, 4000, 31};
            AtomicInteger next = new AtomicInteger();
            RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> {
                int i = next.getAndIncrement();
                int want = sizes[i % sizes.length];
                assertEquals(want, rec.remaining(), "record " + i);
                for (int k = 0; k < want; k++) {
                    assertEquals((byte) (i * 31 + k), rec.get(rec.position() + k), "record " + i + " byte " + k);
                }
                return 0;
            });
            int produced = 0;
            int full = 0;
            for (int round = 0; round < 50; round++) {
                for (int s : sizes) {
                    byte[] data = new byte[s];
                    for (int k = 0; k < s; k++) {
                        data[k] = (byte) (produced * 31 + k);
                    }
                    int rc = rb.output(data, 0);
                    if (rc != 0) {
                        assertEquals(-Errno.EAGAIN, rc);
                        full++;
                        assertTrue(consumer.consume() > 0);
                        assertEquals(0, rb.output(data, 0), "fits once consumed");
                    }
                    produced++;
                }
            }
            consumer.consume();
            assertEquals(produced, next.get());
            assertEquals(full, rb.droppedRecords());
            assertTrue(full > 10);
            assertTrue(rb.query(RingBuf.PROD_POS) > 10 * 4096, "the ring wrapped many times");
            consumer.close();
        }
    }

    @Test
    void wrappedRecordIsContiguousForTheProducerAndAtTheStartInTheKernelLayout() {
        try (RingBuf rb = ring("rb_wrap2", 4096)) {
            RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> 0);
            assertEquals(0, rb.output(new byte[4000], 0));
            assertEquals(1, consumer.consume());
            long h = rb.reserve(200); // header at 4008, data 4016..4216: 120 bytes past the end
            assertEquals(RingBufLayout.DATA_OFFSET + 4016, h);
            for (int i = 0; i < 25; i++) {
                rb.putLong(h, i * 8, 1000 + i);
            }
            rb.commit(h, 0);
            ByteBuffer m = rb.memory();
            assertEquals(1000 + 10, m.getLong(RingBufLayout.DATA_OFFSET), "tail copied to the data area's start");
            long[] sum = {0};
            consumer.add(ring("rb_wrap2b", 4096), rec -> 0);
            RingBufConsumer c2 = RingBufConsumer.create(rb, rec -> {
                for (int i = 0; i < 25; i++) {
                    sum[0] += rec.getLong(rec.position() + i * 8);
                }
                return 0;
            });
            assertEquals(1, c2.consume());
            assertEquals(25 * 1000 + 300, sum[0]);
            Maps.byName("rb_wrap2b").close();
        }
    }

    @Test
    void selfPacingWakesOnlyACaughtUpConsumer() throws Exception {
        try (RingBuf rb = ring("rb_pacing", 4096); RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> 0)) {
            assertEquals(0, rb.output(new byte[8], 0));
            assertEquals(1, rb.wakeups(), "consumer at 0, record at 0");
            assertEquals(0, rb.output(new byte[8], 0));
            assertEquals(1, rb.wakeups(), "consumer behind: the first record already woke it");
            assertEquals(0, rb.output(new byte[8], RingBuf.FORCE_WAKEUP));
            assertEquals(2, rb.wakeups());
            assertEquals(3, consumer.consume());
            assertEquals(0, rb.output(new byte[8], RingBuf.NO_WAKEUP));
            assertEquals(2, rb.wakeups(), "NO_WAKEUP even for a caught-up consumer");
            assertEquals(1, consumer.consume());
            // a reserved record that commits after later ones still wakes: it is the one the consumer waits at
            long first = rb.reserve(8);
            long second = rb.reserve(8);
            rb.commit(second, 0);
            assertEquals(2, rb.wakeups());
            CompletableFuture<Integer> bg = CompletableFuture.supplyAsync(() -> consumer.poll(60_000));
            sleepQuietly(30);
            rb.commit(first, 0);
            assertEquals(3, rb.wakeups());
            assertEquals(2, bg.get(5, TimeUnit.SECONDS), "woken, both records delivered in order");
        }
    }

    @Test
    void consumerPositionIsReleasedEverySixtyFourthOfTheRingAndWhenConsumeReturns() {
        try (RingBuf rb = ring("rb_release", 4096)) {
            for (int i = 0; i < 40; i++) {
                assertEquals(0, rb.output(longBytes(i), 0)); // 16 bytes each: 4 records fill a 64th
            }
            List<Long> consAtCallback = new ArrayList<>();
            try (RingBufConsumer c = RingBufConsumer.create(rb, rec -> {
                consAtCallback.add(rb.query(RingBuf.CONS_POS));
                return 0;
            })) {
                assertEquals(40, c.consume());
            }
            for (int i = 0; i < 40; i++) {
                assertEquals(i / 4 * 64L, consAtCallback.get(i), "record " + i);
            }
            assertEquals(640, rb.query(RingBuf.CONS_POS), "all of it given back when consume returns");
        }
    }

    @Test
    void aCallbackThatThrowsGetsItsRecordAgainAndNoneBefore() {
        try (RingBuf rb = ring("rb_throw", 4096)) {
            for (int i = 0; i < 5; i++) {
                assertEquals(0, rb.output(longBytes(i), 0));
            }
            List<Long> seen = new ArrayList<>();
            boolean[] failed = new boolean[1];
            try (RingBufConsumer c = RingBufConsumer.create(rb, rec -> {
                long v = rec.getLong(rec.position());
                if (v == 3 && !failed[0]) {
                    failed[0] = true;
                    throw new IllegalStateException("callback failure");
                }
                seen.add(v);
                return 0;
            })) {
                assertThrows(IllegalStateException.class, c::consume);
                assertEquals(48, rb.query(RingBuf.CONS_POS), "the three records before it are given back");
                assertEquals(2, c.consume());
            }
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), seen, "each record once, in order");
        }
    }

    static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v).array();
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
