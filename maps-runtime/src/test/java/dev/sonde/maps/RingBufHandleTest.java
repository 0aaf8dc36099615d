package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Handles come from callers, and the producer path writes through them with {@link HotMemory}'s unchecked stores:
 * made-up handles and offsets must be refused (or, for the void stores, ignored) before anything is written, and
 * the ring must work on afterwards as if they had never been tried.
 */
class RingBufHandleTest {
    private static final int SIZE = 4096;

    private static RingBuf ring(String name) {
        return (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name(name).maxEntries(SIZE).build());
    }

    @Test
    void aMadeUpHandleNeverWritesOutsideItsRecord() {
        try (RingBuf rb = ring("rb_madeup")) {
            long h = rb.reserve(64);
            assertTrue(h >= 0);
            // Payload word 1 looks like a BUSY header claiming 2^30 - 1 bytes: read as the header of the handle
            // 16 bytes on, it would let a copy run over the mirror into the stamp array (the file's last part).
            rb.putInt(h, 8, RingBufLayout.BUSY_BIT | RingBufLayout.MAX_RECORD_SIZE);
            long madeUp = h + 16;
            assertEquals(-Errno.EINVAL, rb.putBytes(madeUp, 0, new byte[2 * SIZE], 0, 2 * SIZE));
            assertEquals(-Errno.EINVAL, rb.commit(madeUp, 0), "its wrapped tail would be copied from past the mirror");
            assertEquals(-Errno.EINVAL, rb.discard(madeUp, 0));

            long prodPos = rb.query(RingBuf.PROD_POS);
            int seqOffset = RingBufLayout.seqOffset(SIZE);
            long[] stores = {
                RingBufLayout.PRODUCER_POS_OFFSET,      // in the file, before the data area
                RingBufLayout.DROPPED_RECORDS_OFFSET,   // a counter in the header page
                seqOffset,                              // the stamps, past the mirror
                seqOffset - 4,                          // putLong: the mirror's last 4 bytes and the first stamp's
                rb.memoryBytes(),                       // past the file
                -h,
                Long.MAX_VALUE - 4,                     // handle + offset overflows
            };
            for (long bad : stores) {
                rb.putLong(bad, 0, -1L);
                rb.putInt(bad, 0, -1);
                assertEquals(-Errno.EINVAL, rb.putBytes(bad, 0, new byte[8], 0, 8), Long.toHexString(bad));
                assertEquals(-Errno.EINVAL, rb.commit(bad, 0), Long.toHexString(bad));
            }
            rb.putLong(h, seqOffset - (int) h, -1L);   // a real handle, an offset onto the stamps
            rb.putLong(h, -(int) h, -1L);              // a real handle, an offset back to the file's start
            rb.putInt(h, Integer.MIN_VALUE, -1);

            assertEquals(prodPos, rb.query(RingBuf.PROD_POS), "producer position untouched");
            assertEquals(0, rb.droppedRecords(), "counters untouched");
            assertEquals(0, rb.commit(h, 0));
            // The stamps are intact: the real record and a next one reach the consumer.
            assertEquals(0, rb.output(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 0));
            List<Integer> lengths = new ArrayList<>();
            List<Long> firstWords = new ArrayList<>();
            RingBufConsumer c = RingBufConsumer.create(rb, rec -> {
                lengths.add(rec.remaining());
                firstWords.add(rec.remaining() >= 16 ? rec.getLong(rec.position() + 8) : 0L);
                return 0;
            });
            assertEquals(2, c.consume());
            assertEquals(List.of(64, 9), lengths);
            assertEquals((long) (RingBufLayout.BUSY_BIT | RingBufLayout.MAX_RECORD_SIZE) & 0xFFFF_FFFFL,
                    firstWords.get(0) & 0xFFFF_FFFFL, "the record's own bytes are what putInt wrote");
            c.close();
        }
    }

    @Test
    void aRingOpenedReadOnlyIgnoresStoresThroughAnyHandle() {
        try (RingBuf rb = ring("rb_ro_store")) {
            long h = rb.reserve(16);
            assertTrue(h >= 0);
            rb.putLong(h, 0, 42L);
            try (RingBuf ro = (RingBuf) Maps.open(rb.path())) {
                assertTrue(ro.readOnly());
                // The mapping is read-only: an unchecked store there would crash the JVM, a checked one throw.
                ro.putLong(h, 0, -1L);
                ro.putInt(h, 0, -1);
                assertEquals(-Errno.EINVAL, ro.putBytes(h, 0, new byte[8], 0, 8));
                assertEquals(-Errno.EINVAL, ro.commit(h, 0));
                assertEquals(-Errno.EPERM, ro.output(new byte[8], 0));
            }
            ByteBuffer m = rb.memory();
            assertEquals(42L, m.getLong((int) h));
            assertEquals(0, rb.commit(h, 0));
        }
    }

    @Test
    void aWrappedRecordTakesStoresAndBytesUpToTheMirrorsEnd() {
        try (RingBuf rb = ring("rb_wrap_bounds")) {
            RingBufConsumer c = RingBufConsumer.create(rb, rec -> 0);
            assertEquals(0, rb.output(new byte[SIZE - 64], 0));
            assertEquals(1, c.consume());
            // The largest record a ring of SIZE takes, starting 56 bytes before the end: it ends deep in the mirror.
            int max = SIZE - 16;
            assertEquals(-Errno.E2BIG, rb.reserve(max + 1));
            long h = rb.reserve(max);
            assertTrue(h >= 0);
            byte[] data = new byte[max];
            for (int i = 0; i < max; i++) {
                data[i] = (byte) (i * 7);
            }
            assertEquals(0, rb.putBytes(h, 0, data, 0, max));
            rb.putLong(h, max - 8, 0x1122334455667788L);
            assertEquals(-Errno.EINVAL, rb.putBytes(h, 1, data, 0, max), "one byte past the record");
            byte[] got = new byte[max];
            RingBufConsumer c2 = RingBufConsumer.create(rb, rec -> {
                rec.get(rec.position(), got);
                return 0;
            });
            assertEquals(0, rb.commit(h, 0));
            assertEquals(1, c2.consume());
            for (int i = 0; i < max - 8; i++) {
                assertEquals(data[i], got[i], "byte " + i);
            }
            assertEquals(0x1122334455667788L, ByteBuffer.wrap(got, max - 8, 8)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
            c.close();
            c2.close();
        }
    }
}
