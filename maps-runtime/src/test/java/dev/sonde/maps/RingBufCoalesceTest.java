package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link RingBufConsumer#coalesce}: when a poll waits for records to gather, and when it must not. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RingBufCoalesceTest {
    private static final int MIB = 1 << 20;

    private static RingBuf ring(String name, int size) {
        return (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name(name).maxEntries(size).build());
    }

    @Test
    void aPollThatFoundRecordsWithoutParkingMakesTheNextOneLingerFirst() {
        try (RingBuf rb = ring("coalesce_busy", MIB); RingBufConsumer c = RingBufConsumer.create(rb, rec -> 0)) {
            assertEquals(0, rb.output(new byte[8], 0));
            assertEquals(1, c.poll(100));
            assertEquals(0, c.lingers(), "nothing said the producers were busy before this poll");
            assertEquals(0, rb.output(new byte[8], 0));
            assertEquals(1, c.poll(100));
            assertEquals(1, c.lingers(), "the poll before found its record at once");
            assertEquals(0, c.poll(0));
            assertEquals(1, c.lingers(), "poll(0) never waits, for records to gather or otherwise");
        }
    }

    @Test
    void aConsumerThatDoesNotCoalesceNeverLingers() {
        try (RingBuf rb = ring("coalesce_off", MIB);
                RingBufConsumer c = RingBufConsumer.create(rb, rec -> 0).coalesce(false)) {
            for (int i = 0; i < 3; i++) {
                assertEquals(0, rb.output(new byte[8], 0));
                assertEquals(1, c.poll(100));
            }
            assertEquals(0, c.lingers());
        }
    }

    @Test
    void aPollThatParkedForItsRecordDoesNotMakeTheNextOneLinger() throws Exception {
        try (RingBuf rb = ring("coalesce_trickle", MIB); RingBufConsumer c = RingBufConsumer.create(rb, rec -> 0)) {
            for (int i = 0; i < 3; i++) {
                // Committed long after the poll has spun briefly and parked: a trickle, read as soon as woken.
                Thread producer = new Thread(() -> {
                    RingBufTest.sleepQuietly(50);
                    rb.output(new byte[8], 0);
                });
                producer.start();
                assertEquals(1, c.poll(10_000));
                producer.join();
            }
            assertEquals(0, c.lingers());
            assertEquals(3, rb.wakeups(), "each record woke the parked consumer");
        }
    }

    @Test
    void noLingerWhenTheRingCouldFillAnEighthMeanwhile() {
        try (RingBuf small = ring("coalesce_small", 4096); RingBuf big = ring("coalesce_big", MIB);
                RingBufConsumer cs = RingBufConsumer.create(small, rec -> 0);
                RingBufConsumer cb = RingBufConsumer.create(big, rec -> 0)) {
            for (RingBuf rb : new RingBuf[] {small, big}) {
                assertEquals(0, rb.output(new byte[8], 0));
            }
            RingBufTest.sleepQuietly(10); // a slow inflow: 16 bytes in 10 ms
            assertEquals(1, cs.poll(100));
            assertEquals(1, cb.poll(100));
            // Then a burst: 4016 bytes within a linger, about a tenth of a millisecond. That rate fills the small
            // ring many times over in a linger, the big one by under a hundredth.
            for (RingBuf rb : new RingBuf[] {small, big}) {
                assertEquals(0, rb.output(new byte[4000], 0));
            }
            assertEquals(1, cs.poll(100));
            assertEquals(1, cb.poll(100));
            assertEquals(1, cs.lingers());
            assertEquals(1, cb.lingers());
            for (RingBuf rb : new RingBuf[] {small, big}) {
                assertEquals(0, rb.output(new byte[8], 0));
            }
            assertEquals(1, cs.poll(100));
            assertEquals(1, cb.poll(100));
            assertEquals(1, cs.lingers(), "the burst's rate would fill the 4 KiB ring during a linger");
            assertEquals(2, cb.lingers(), "the 1 MiB ring holds a linger's worth at that rate");
        }
    }

    @Test
    void aSteadyProducerIsReadInBatchesAndEveryRecordArrivesInOrder() throws Exception {
        long records = 2_000_000;
        try (RingBuf rb = ring("coalesce_stress", MIB)) {
            AtomicLong next = new AtomicLong();
            AtomicLong outOfOrder = new AtomicLong();
            RingBufConsumer c = RingBufConsumer.create(rb, rec -> {
                if (rec.getLong(rec.position()) != next.getAndIncrement()) {
                    outOfOrder.incrementAndGet();
                }
                return 0;
            });
            // Ten records a µs, four at a time: gaps of 0.4 µs, shorter than poll's brief spin, so polls find records
            // without parking (bursts further apart look like a trickle, and a trickle is not coalesced); 160 bytes
            // a µs, so a linger of even a millisecond fills a sixth of the ring and the fill rule allows lingers on
            // any machine. A producer flat out may outrun that, and then the rule rightly forbids most of them.
            Thread producer = new Thread(() -> {
                long start = System.nanoTime();
                for (long seq = 0; seq < records; ) {
                    if ((seq & 3) == 0) {
                        while (System.nanoTime() - start < seq * 100) {
                            Thread.onSpinWait();
                        }
                    }
                    long h = rb.reserve(8);
                    if (h >= 0) {
                        rb.putLong(h, 0, seq++);
                        rb.commit(h, 0);
                    }
                }
            });
            producer.start();
            long polls = 0;
            while (next.get() < records) {
                assertTrue(c.poll(10_000) >= 0);
                polls++;
            }
            producer.join();
            c.close();
            assertEquals(records, next.get());
            assertEquals(0, outOfOrder.get());
            assertTrue(c.lingers() > 0, "a steady producer keeps the consumer busy");
            System.out.println("coalesce_stress: " + polls + " polls, " + c.lingers() + " lingers, "
                    + rb.droppedRecords() + " reservations refused as full");
        }
    }
}
