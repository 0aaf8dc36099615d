package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several producer threads, one polling consumer: every record is accounted for (consumed, dropped or discarded)
 * and none is torn, duplicated or reordered within its producer.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RingBufStressTest {
    static final int PRODUCERS = 3;
    static final int PER_PRODUCER = 1_000_000;

    /** Record: producer id u32, size u32, seq u64, checksum u64, then filler bytes up to size. */
    static long checksum(int id, long seq) {
        long x = seq * 0x9E3779B97F4A7C15L + id;
        return x ^ (x >>> 29) ^ 0x5DEECE66DL;
    }

    static int sizeOf(long seq) {
        return 24 + (int) (seq % 5) * 12; // 24..72 bytes: mixed sizes that wrap at every offset
    }

    @Test
    void producersAgainstOneConsumerAccountForEveryRecord() throws Exception {
        run(false, "rb_stress");
    }

    @Test
    void overwriteModeNeverDeliversATornOrReorderedRecord() throws Exception {
        run(true, "rb_stress_ow");
    }

    private void run(boolean overwrite, String name) throws Exception {
        int perProducer = overwrite ? PER_PRODUCER / 4 : PER_PRODUCER;
        MapSpec spec = MapSpec.builder(MapType.RINGBUF).name(name).maxEntries(1 << 16)
                .flags(overwrite ? MapSpec.F_RB_OVERWRITE : 0).build();
        try (RingBuf rb = (RingBuf) Maps.create(spec)) {
            AtomicLongArray dropped = new AtomicLongArray(PRODUCERS);
            AtomicLongArray discarded = new AtomicLongArray(PRODUCERS);
            AtomicInteger running = new AtomicInteger(PRODUCERS);
            Thread[] producers = new Thread[PRODUCERS];
            for (int p = 0; p < PRODUCERS; p++) {
                final int id = p;
                producers[p] = new Thread(() -> {
                    byte[] filler = new byte[72];
                    try {
                        for (long seq = 0; seq < perProducer; seq++) {
                            int size = sizeOf(seq);
                            long h = rb.reserve(size);
                            if (h < 0) {
                                assertEquals(-Errno.EAGAIN, h);
                                dropped.incrementAndGet(id);
                                Thread.yield(); // 2 cores: let the consumer (or a preempted producer) run
                                continue;
                            }
                            rb.putInt(h, 0, id);
                            rb.putInt(h, 4, size);
                            rb.putLong(h, 8, seq);
                            rb.putLong(h, 16, checksum(id, seq));
                            rb.putBytes(h, 24, filler, 0, size - 24);
                            if (seq % 7 == 3) {
                                rb.discard(h, 0);
                                discarded.incrementAndGet(id);
                            } else {
                                rb.commit(h, 0);
                            }
                        }
                    } finally {
                        running.decrementAndGet();
                    }
                }, "producer-" + p);
            }
            long[] last = {-1, -1, -1};
            long[] consumed = new long[PRODUCERS];
            String[] error = {null};
            RingBufCallback cb = rec -> {
                int pos = rec.position();
                int id = rec.getInt(pos);
                int size = rec.getInt(pos + 4);
                long seq = rec.getLong(pos + 8);
                if (id < 0 || id >= PRODUCERS || size != rec.remaining() || rec.getLong(pos + 16) != checksum(id, seq)
                        || size != sizeOf(seq)) {
                    error[0] = "torn record: id " + id + " size " + size + "/" + rec.remaining() + " seq " + seq;
                    return -1;
                }
                if (seq <= last[id] || seq % 7 == 3) {
                    error[0] = "producer " + id + ": seq " + seq + " after " + last[id];
                    return -1;
                }
                last[id] = seq;
                consumed[id]++;
                return 0;
            };
            try (RingBufConsumer consumer = RingBufConsumer.create(rb, cb)) {
                for (Thread t : producers) {
                    t.start();
                }
                while (running.get() > 0) {
                    int r = consumer.poll(50);
                    assertTrue(r >= 0, () -> error[0]);
                }
                for (Thread t : producers) {
                    t.join();
                }
                assertTrue(consumer.consume() >= 0, () -> error[0]);
                assertEquals(0, consumer.consume());
            }
            long totalDropped = 0;
            long totalConsumed = 0;
            for (int p = 0; p < PRODUCERS; p++) {
                totalDropped += dropped.get(p);
                totalConsumed += consumed[p];
                if (!overwrite) {
                    assertEquals(perProducer, consumed[p] + dropped.get(p) + discarded.get(p), "producer " + p);
                }
            }
            assertEquals(totalDropped, rb.droppedRecords());
            assertEquals(rb.query(RingBuf.PROD_POS), rb.query(RingBuf.CONS_POS), "drained");
            long totalDiscarded = discarded.get(0) + discarded.get(1) + discarded.get(2);
            assertEquals(totalDiscarded, rb.discardedRecords());
            System.out.println(name + ": consumed " + totalConsumed + " dropped " + totalDropped + " discarded " + totalDiscarded + " wakeups " + rb.wakeups());
            assertTrue(totalConsumed > 0);
            if (overwrite) {
                assertTrue(rb.query(RingBuf.OVERWRITE_POS) <= rb.query(RingBuf.PROD_POS));
            }
        }
    }
}
