package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;

/**
 * Ring protocol {@link RingBufLayout#PROTOCOL_ZEROED}: the consumer zeroes what it consumed, so a header word that is
 * still zero means "claimed, header not written yet", and no byte of an older lap can pass for a header.
 */
class RingBufZeroedTest {
    private static final int SIZE = 4096;

    private static RingBuf ring(String name) {
        return (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name(name).maxEntries(SIZE).build());
    }

    private static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    private static ByteBuffer read(Path p, long at, int n) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, at);
            return b.flip();
        }
    }

    private static void write(Path p, long at, ByteBuffer b) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(b, at);
        }
    }

    private static ByteBuffer longLE(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
    }

    @Test
    void everyConsumedByteIsZeroAfterLapsOfMixedSizesThatWrap() throws IOException {
        try (RingBuf rb = ring("rbz_laps"); RingBufConsumer c = RingBufConsumer.create(rb, rec -> 0)) {
            long produced = 0;
            long consumed = 0;
            for (int i = 0; i < 2000; i++) {
                int n = 1 + (i * 37) % 300; // 1..300 bytes: paddings of every width, records that wrap
                long h = rb.reserve(n);
                assertTrue(h >= 0, "reserve " + n + ": " + h);
                rb.putBytes(h, 0, filled(n, 0xA5), 0, n);
                if (i % 7 == 0) {
                    rb.discard(h, 0);
                } else {
                    rb.commit(h, 0);
                    produced++;
                }
                if (i % 5 == 4) {
                    consumed += c.consume();
                }
            }
            consumed += c.consume();
            assertEquals(produced, consumed);
            assertTrue(rb.query(RingBuf.CONS_POS) > 40 * SIZE, "many laps");
            ByteBuffer data = read(rb.path(), RingBufLayout.DATA_OFFSET, SIZE);
            for (int i = 0; i < SIZE; i += 8) {
                assertEquals(0, data.getLong(i), "data byte " + i + " after everything was consumed");
            }
        }
    }

    /**
     * The consumer gives space back every 64th of the ring within one call, and zeroes the records it read in
     * batches: whenever a producer could see space given back (the consumer position), every byte of it is zero.
     * Looked at from inside the callback, after each record, for a call that consumes a whole lap.
     */
    @Test
    void spaceGivenBackWithinOneCallIsAlreadyZero() {
        try (RingBuf rb = ring("rbz_release")) {
            long start = rb.query(RingBuf.CONS_POS);
            int records = 0;
            while (rb.output(filled(40, 0x5A), 0) == 0) { // 48 bytes a record, until the ring is full
                records++;
            }
            long[] checks = new long[2];
            try (RingBufConsumer c = RingBufConsumer.create(rb, rec -> {
                long released = rb.query(RingBuf.CONS_POS);
                ByteBuffer data;
                try {
                    data = read(rb.path(), RingBufLayout.DATA_OFFSET, SIZE);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                for (long at = start; at < released; at += 8) {
                    assertEquals(0, data.getLong((int) (at % SIZE)), "released byte " + at + " before it was zeroed");
                    checks[1]++;
                }
                checks[0] = Math.max(checks[0], released - start);
                return 0;
            })) {
                assertEquals(records, c.consume());
            }
            assertTrue(checks[0] >= SIZE / 2, "space was given back during the call: " + checks[0] + " bytes");
            assertTrue(checks[1] > 0);
        }
    }

    @Test
    void aClaimWhoseHeaderIsNotWrittenYetIsNotARecord() throws IOException {
        try (RingBuf rb = ring("rbz_claim"); RingBufConsumer c = RingBufConsumer.create(rb, rec -> 0)) {
            for (int lap = 0; lap < 3; lap++) { // older laps leave headers behind, unless the consumer zeroes them
                for (int i = 0; i < SIZE / 32 - 1; i++) {
                    assertEquals(0, rb.output(filled(24, 0x5A), 0));
                }
                assertEquals(SIZE / 32 - 1, c.consume());
            }
            // A producer between its CAS and its header store: the position moved, nothing written yet.
            long p = rb.query(RingBuf.PROD_POS);
            write(rb.path(), RingBufLayout.PRODUCER_POS_OFFSET, longLE(p + 32));
            assertEquals(32, rb.query(RingBuf.AVAIL_DATA));
            assertEquals(0, c.consume(), "an older lap's bytes at the claimed position are not a record");
            assertEquals(p, rb.query(RingBuf.CONS_POS));
        }
    }

    @Test
    void aConsumerInAnotherProcessZeroesThroughItsOwnMapping() {
        try (RingBuf rb = ring("rbz_remote");
                RingBuf opened = (RingBuf) Maps.open(rb.path());
                RingBufConsumer c = RingBufConsumer.create(opened, rec -> rec.remaining() == 40 ? 0 : -1)) {
            long total = 0;
            for (int lap = 0; lap < 20; lap++) {
                int n = 0;
                while (rb.output(filled(40, lap + 1), 0) == 0) {
                    n++;
                }
                assertEquals(n, c.consume(), "lap " + lap);
                total += n;
            }
            assertEquals(rb.query(RingBuf.PROD_POS), opened.query(RingBuf.CONS_POS));
            assertTrue(total > 20 * (SIZE / 48 - 1));
        }
    }

    /** The permissions ({@code r--s}, {@code rw-s}) of this process's mappings of {@code p}, from /proc/self/maps. */
    private static java.util.List<String> mappingModes(Path p) throws IOException {
        String file = p.toRealPath().toString();
        java.util.List<String> modes = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            if (line.endsWith(" " + file)) {
                modes.add(line.split(" ")[1]);
            }
        }
        return modes;
    }

    @Test
    void aRingOpenedFromItsFileMapsNothingWritableUntilAConsumerIsAdded() throws IOException {
        try (RingBuf rb = ring("rbz_lazy"); RingBuf opened = (RingBuf) Maps.open(rb.path())) {
            assertEquals(0, rb.output(filled(8, 1), 0));
            java.util.List<String> before = mappingModes(rb.path()); // the producing side's and the opened one's
            assertTrue(before.contains("r--s"), before.toString());
            // Inspecting the ring, as the CLI's list and show do, reads it through the read-only map alone.
            assertEquals(16, opened.query(RingBuf.AVAIL_DATA));
            assertEquals(0, opened.query(RingBuf.CONS_POS));
            assertEquals(before, mappingModes(rb.path()));
            try (RingBufConsumer c = RingBufConsumer.create(opened, rec -> 0)) {
                // The consumer page and the data area, each mapped writable and shared.
                java.util.List<String> modes = mappingModes(rb.path());
                assertEquals(before.size() + 2, modes.size(), modes.toString());
                assertEquals(java.util.Collections.frequency(before, "rw-s") + 2,
                        java.util.Collections.frequency(modes, "rw-s"), modes.toString());
                assertEquals(1, c.consume());
                assertEquals(16, rb.query(RingBuf.CONS_POS), "the consumer's position, seen by the producing side");
            }
        }
    }

    @Test
    void aFileOfTheStampedProtocolIsRefusedWithTheFix() throws IOException {
        try (RingBuf rb = ring("rbz_old")) {
            write(rb.path(), RingBufLayout.PROTOCOL_OFFSET, ByteBuffer.allocate(4));
            SondeException e = assertThrows(SondeException.class, () -> Maps.open(rb.path()));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("ring protocol 0") && e.getMessage().contains("Sonde release that "
                    + "wrote it"), e.getMessage());
        }
    }

    @Test
    void aCorruptLengthIsAnErrorNamingThePositionNotAStoreOutsideTheRing() throws IOException {
        try (RingBuf rb = ring("rbz_corrupt"); RingBufConsumer c = RingBufConsumer.create(rb, rec -> 0)) {
            assertEquals(0, rb.output(filled(8, 1), 0));
            ByteBuffer hdr = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0x3FFF_0000);
            write(rb.path(), RingBufLayout.DATA_OFFSET, hdr);
            SondeException e = assertThrows(SondeException.class, c::consume);
            assertTrue(e.getMessage().contains("record header at position 0"), e.getMessage());
            assertEquals(0, rb.query(RingBuf.CONS_POS), "nothing consumed, nothing zeroed");
        }
    }
}
