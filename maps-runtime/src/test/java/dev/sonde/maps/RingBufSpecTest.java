package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** Creation rules and error codes, as {@code ringbuf_map_alloc()} and the helpers give them. */
class RingBufSpecTest {
    private static MapSpec.Builder spec(String name, int size) {
        return MapSpec.builder(MapType.RINGBUF).name(name).maxEntries(size);
    }

    private static SondeException createFails(MapSpec.Builder b) {
        return assertThrows(SondeException.class, () -> Maps.create(b.build()));
    }

    @Test
    void sizeMustBeAPowerOfTwoAndWholePages() {
        SondeException e = createFails(spec("rb_bad1", 4096 * 3));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("power of 2"), e.getMessage());
        assertEquals(Errno.EINVAL, createFails(spec("rb_bad2", 2048)).errno());
        assertEquals(Errno.EINVAL, createFails(spec("rb_bad3", 0)).errno());
        assertEquals(Errno.E2BIG, createFails(spec("rb_bad4", 1 << 30)).errno());
    }

    @Test
    void keysValuesAndUnknownFlagsAreRefused() {
        assertEquals(Errno.EINVAL, createFails(spec("rb_bad5", 4096).keySize(4)).errno());
        assertEquals(Errno.EINVAL, createFails(spec("rb_bad6", 4096).valueSize(8)).errno());
        SondeException e = createFails(spec("rb_bad7", 4096).flags(MapSpec.F_NO_PREALLOC));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("F_RB_OVERWRITE"), e.getMessage());
        assertNull(Maps.byName("rb_bad7"), "a refused spec leaves no map behind");
    }

    @Test
    void keyValueCallsAreNotSupported() {
        try (RingBuf rb = (RingBuf) Maps.create(spec("rb_kv", 4096).build())) {
            assertEquals(MapType.RINGBUF, rb.type());
            assertEquals(-Errno.ENOTSUPP, rb.lookup(new byte[0], new byte[0]));
            assertEquals(-Errno.ENOTSUPP, rb.update(new byte[0], new byte[0], BpfMap.ANY));
            assertEquals(-Errno.ENOTSUPP, rb.delete(new byte[0]));
            assertEquals(-Errno.ENOTSUPP, rb.getNextKey(null, new byte[0]));
            assertEquals(-Errno.ENOTSUPP, rb.lookupElem(0));
        }
    }

    @Test
    void recordsTooLargeForTheRingAreE2big() {
        try (RingBuf rb = (RingBuf) Maps.create(spec("rb_e2big", 4096).build())) {
            // 4096 - 16 bytes of data: header + data = 4088, the largest record that fits an empty ring.
            assertEquals(-Errno.E2BIG, rb.reserve(4096 - 8));
            assertEquals(-Errno.E2BIG, rb.reserve(4096 - 8 - 7));
            assertEquals(-Errno.E2BIG, rb.reserve(Integer.MAX_VALUE));
            assertEquals(-Errno.EINVAL, rb.reserve(-1));
            assertEquals(-Errno.E2BIG, rb.output(new byte[5000], 0));
            long h = rb.reserve(4096 - 16);
            assertTrue(h >= 0, "largest record fits: " + h);
            assertEquals(0, rb.commit(h, 0));
            assertEquals(0, rb.droppedRecords(), "E2BIG is not a drop");
        }
    }

    @Test
    void flagsAndHandlesAreChecked() {
        try (RingBuf rb = (RingBuf) Maps.create(spec("rb_flags", 4096).build())) {
            assertEquals(-Errno.EINVAL, rb.output(new byte[8], 4));
            assertEquals(-Errno.EINVAL, rb.output(ByteBuffer.allocate(8), 8));
            assertEquals(0, rb.query(RingBuf.PROD_POS), "a refused output reserves nothing");
            long h = rb.reserve(8);
            assertEquals(-Errno.EINVAL, rb.commit(h, 4));
            assertEquals(-Errno.EINVAL, rb.discard(h, 1 << 20));
            assertEquals(-Errno.EINVAL, rb.commit(h + 8, 0), "not a record's handle");
            assertEquals(-Errno.EINVAL, rb.commit(12, 0), "outside the data area");
            assertEquals(-Errno.EINVAL, rb.putBytes(h, 4, new byte[8], 0, 8), "past the record");
            assertEquals(0, rb.putBytes(h, 0, new byte[8], 0, 8));
            assertEquals(0, rb.commit(h, RingBuf.NO_WAKEUP | RingBuf.FORCE_WAKEUP));
            assertEquals(-Errno.EINVAL, rb.commit(h, 0), "committed twice");
            assertEquals(-Errno.EINVAL, rb.discard(h, 0), "discarded after commit");
            assertEquals(0, rb.query(99), "unknown query, as bpf_ringbuf_query");
        }
    }

    @Test
    void fileLayoutIsTheDocumentedOne() {
        try (RingBuf rb = (RingBuf) Maps.create(spec("rb_layout", 8192).build())) {
            assertEquals(MapHeaderLayout.DATA_OFFSET + RingBufLayout.dataAreaSize(8192), rb.memoryBytes());
            long h = rb.reserve(20);
            assertEquals(RingBufLayout.DATA_OFFSET + 8, h);
            ByteBuffer m = rb.memory();
            int hdr = RingBufLayout.DATA_OFFSET;
            assertEquals(20 | RingBufLayout.BUSY_BIT, m.getInt(hdr));
            assertEquals(2, m.getInt(hdr + 4), "pg_off: two pages from the consumer page");
            rb.discard(h, 0);
            assertEquals(20 | RingBufLayout.DISCARD_BIT, m.getInt(hdr));
            assertEquals(32, m.getLong(RingBufLayout.PRODUCER_POS_OFFSET));
            int stripe = RingBufLayout.DISCARDED_STRIPES_OFFSET
                    + 64 * Shards.current(RingBufLayout.COUNTER_STRIPES); // the thread's stripe of the count
            assertEquals(1, m.getLong(stripe));
            assertEquals(0, m.getLong(RingBufLayout.DISCARDED_RECORDS_OFFSET), "the first word: reserved, zero");
        }
    }
}
