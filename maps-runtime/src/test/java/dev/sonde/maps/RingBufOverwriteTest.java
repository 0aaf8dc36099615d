package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code BPF_F_RB_OVERWRITE}: a full ring overwrites its oldest committed records. */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RingBufOverwriteTest {
    private static RingBuf ring(String name, int size) {
        return (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name(name).maxEntries(size)
                .flags(MapSpec.F_RB_OVERWRITE).build());
    }

    private static List<Long> drain(RingBuf rb) {
        List<Long> got = new ArrayList<>();
        try (RingBufConsumer c = RingBufConsumer.create(rb, rec -> {
            got.add(rec.getLong(rec.position()));
            return 0;
        })) {
            c.consume();
        }
        return got;
    }

    @Test
    void keepsExactlyTheNewestRecords() {
        try (RingBuf rb = ring("rb_ow1", 4096)) {
            assertTrue(rb.overwriteMode());
            byte[] rec = new byte[504]; // 512 bytes with the header: 7 fit (8 would be size, never allowed)
            for (long i = 0; i < 20; i++) {
                java.nio.ByteBuffer.wrap(rec).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, i);
                assertEquals(0, rb.output(rec, 0), "record " + i);
            }
            assertEquals(0, rb.droppedRecords());
            assertEquals(13 * 512, rb.query(RingBuf.OVERWRITE_POS));
            assertEquals(20 * 512, rb.query(RingBuf.PROD_POS));
            assertEquals(7 * 512, rb.query(RingBuf.AVAIL_DATA));
            assertEquals(13 * 512, rb.overwrittenBytes());
            assertEquals(List.of(13L, 14L, 15L, 16L, 17L, 18L, 19L), drain(rb));
            assertEquals(20 * 512, rb.query(RingBuf.CONS_POS));
            assertEquals(0, rb.query(RingBuf.AVAIL_DATA));
        }
    }

    @Test
    void mixedSizesKeepAContiguousNewestSuffix() {
        try (RingBuf rb = ring("rb_ow2", 8192)) {
            int[] sizes = {8, 100, 1000, 16, 3000, 56, 700, 2048, 24};
            int n = 0;
            List<Integer> lens = new ArrayList<>();
            for (int round = 0; round < 40; round++) {
                for (int s : sizes) {
                    byte[] b = new byte[s];
                    java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, n++);
                    assertEquals(0, rb.output(b, 0));
                    lens.add(RingBufLayout.recordLength(s));
                }
            }
            List<Long> got = drain(rb);
            long first = got.get(0);
            for (int i = 0; i < got.size(); i++) {
                assertEquals(first + i, got.get(i), "a contiguous run of the newest records");
            }
            assertEquals(n - 1, got.get(got.size() - 1));
            long bytes = 0;
            for (int i = (int) first; i < n; i++) {
                bytes += lens.get(i);
            }
            long ow = rb.query(RingBuf.OVERWRITE_POS);
            assertEquals(rb.query(RingBuf.PROD_POS) - ow, bytes, "everything after the overwrite position is delivered");
            assertTrue(bytes <= 8191, "the ring never holds more than size - 1 bytes");
            assertTrue(bytes + lens.get((int) first - 1) > 8191, "and overwrote no record it could have kept");
            assertEquals(ow, rb.overwrittenBytes());
        }
    }

    @Test
    void theConsumerSkipsToTheOverwritePosition() {
        try (RingBuf rb = ring("rb_ow3", 4096)) {
            List<Long> got = new ArrayList<>();
            RingBufConsumer c = RingBufConsumer.create(rb, rec -> {
                got.add(rec.getLong(rec.position()));
                return 0;
            });
            byte[] rec = new byte[504];
            for (long i = 0; i < 3; i++) {
                rec[0] = (byte) i;
                rb.output(rec, 0);
            }
            assertEquals(3, c.consume());
            for (long i = 3; i < 15; i++) {
                rec[0] = (byte) i;
                rb.output(rec, 0);
            }
            // 15 records written, 7 kept: 8..14; 3..7 were overwritten unread (0..2 had been read)
            assertEquals(5 * 512, rb.overwrittenBytes());
            assertEquals(7, c.consume());
            assertEquals(List.of(0L, 1L, 2L, 8L, 9L, 10L, 11L, 12L, 13L, 14L), got);
            c.close();
        }
    }

    @Test
    void aRecordStillBeingWrittenIsNeverOverwritten() {
        try (RingBuf rb = ring("rb_ow4", 4096)) {
            long busy = rb.reserve(504);
            for (int i = 0; i < 6; i++) {
                assertEquals(0, rb.output(new byte[504], 0));
            }
            assertEquals(-Errno.EAGAIN, rb.output(new byte[504], 0), "the oldest record is still reserved");
            assertEquals(1, rb.droppedRecords());
            assertEquals(0, rb.query(RingBuf.OVERWRITE_POS));
            rb.commit(busy, 0);
            assertEquals(0, rb.output(new byte[504], 0));
            assertEquals(512, rb.query(RingBuf.OVERWRITE_POS));
        }
    }
}
