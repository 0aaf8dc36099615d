package dev.sonde.maps;

import static dev.sonde.maps.RelayTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RelayMapTest {

    /**
     * A refused write closes the last sub-buffer of a full no-overwrite relay with zero padding; the reader takes
     * the padding for the end of the records, not for a claim whose writer never wrote its header.
     */
    @Test
    void aFullNoOverwriteRelayReadsBackWhole() {
        try (RelayMap m = create(512, 4, 1, false)) {
            byte[] rec = new byte[40]; // 56 bytes a record: 8 fill a sub-buffer's 480 and leave 32
            int n = 0;
            while (m.output(rec) == 0) {
                n++;
            }
            assertEquals(32, n);
            RelayReader.Result r = RelayReader.read(m);
            assertEquals(n, r.records().size());
            assertEquals(0, r.skipped());
            assertEquals(1, m.dropped());
        }
    }

    @Test
    void filesLiveUnderTheProcessRelayDirectoryWithMode0600() throws Exception {
        try (RelayMap m = create(4096, 4, 4, true)) {
            assertEquals(MapType.RELAY, m.type());
            for (int i = 0; i < 4; i++) {
                Path p = m.shardPath(i);
                assertEquals(SondeDir.relayDir().resolve(m.name() + "#" + i), p);
                assertTrue(Files.exists(p));
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
                assertEquals(RelayLayout.fileSize(4096, 4), Files.size(p));
            }
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(SondeDir.relayDir())));
            Path p0 = m.shardPath(0);
            m.close();
            assertFalse(Files.exists(p0), "closing the last reference removes the relay files");
        }
    }

    @Test
    void badSpecsThrowWithTheFixAndLeaveNothingOnDisk() {
        assertBad(spec(4096, 4, 1, false).keySize(0), "key_size");
        assertBad(spec(4096, 4, 1, false).valueSize(16), "value_size");
        assertBad(spec(100, 4, 1, false), "subbufSize");
        assertBad(spec(128, 4, 1, false), "subbufSize");
        assertBad(spec(4096, 1, 1, false), "nSubbufs");
        assertBad(spec(4096, 3, 1, false), "nSubbufs");
        assertBad(spec(4096, 4, 1, false).maxEntries(10), "max_entries");
        assertBad(spec(4096, 4, 1, false).flags(MapSpec.F_RB_OVERWRITE), "flags");
        SondeException e = assertThrows(SondeException.class,
                () -> Maps.create(spec(1 << 28, 8, 1, false).build()));
        assertEquals(Errno.E2BIG, e.errno());
    }

    private static void assertBad(MapSpec.Builder b, String word) {
        MapSpec s = b.build();
        SondeException e = assertThrows(SondeException.class, () -> Maps.create(s));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains(word), e.getMessage());
        assertFalse(Files.exists(SondeDir.relayDir().resolve(s.name() + "#0")));
        assertNull(Maps.byName(s.name()));
    }

    @Test
    void reserveCommitDiscardAndErrors() {
        try (RelayMap m = create(256, 2, 1, false)) {
            long h = m.reserve(12);
            assertTrue(h >= 0);
            m.putLong(h, 0, 0x1122334455667788L);
            m.putInt(h, 8, 42);
            assertEquals(42, m.getInt(h, 8));
            m.putLong(h, 8, -1L); // bytes 8..15 of a 12-byte record: outside, ignored
            m.putInt(h, -4, -1);
            assertEquals(42, m.getInt(h, 8));
            assertEquals(-Errno.EINVAL, m.putBytes(h, 10, new byte[3]));
            assertEquals(-Errno.EINVAL, m.putBytes(h, 0, new byte[4], 2, 4));
            assertEquals(0, m.putBytes(h, 10, new byte[2]));
            m.putInt(h, 8, 42);
            assertEquals(0, m.commit(h));
            assertEquals(-Errno.EINVAL, m.commit(h), "a second commit is refused");
            long d = m.reserve(8);
            assertEquals(0, m.putBytes(d, 0, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
            assertEquals(0, m.discard(d));
            assertEquals(-Errno.EINVAL, m.commit(-5));
            assertEquals(-Errno.E2BIG, m.reserve(m.maxRecordSize() + 1));
            assertEquals(-Errno.E2BIG, m.output(new byte[m.maxRecordSize() + 1]));
            assertEquals(256 - 32 - 16, m.maxRecordSize());
            List<RelayRecord> r = RelayReader.read(m).records();
            assertEquals(1, r.size(), "the discarded record is not read");
            ByteBuffer b = ByteBuffer.wrap(r.get(0).data()).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0x1122334455667788L, b.getLong(0));
            assertEquals(42, b.getInt(8));
            assertEquals(0, m.output(new byte[m.maxRecordSize()]), "a record filling a whole sub-buffer fits");
        }
    }

    @Test
    void overwriteKeepsExactlyTheNewestRecordsOfMixedSizesInOrder() {
        int sbs = 1024;
        int n = 4;
        int count = 20_000;
        try (RelayMap m = create(sbs, n, 1, true)) {
            int[] sizes = new int[count];
            byte[] buf = new byte[512];
            for (int i = 0; i < count; i++) {
                sizes[i] = sizeOf(i, 300);
                fill(buf, sizes[i], 7, i);
                if ((i & 1) == 0) {
                    assertEquals(0, m.output(Arrays.copyOf(buf, sizes[i])));
                } else {
                    long h = m.reserve(sizes[i]);
                    assertTrue(h >= 0);
                    assertEquals(0, m.putBytes(h, 0, buf, 0, sizes[i]));
                    assertEquals(0, m.commit(h));
                }
            }
            long[] laps = laps(sizes, sbs);
            long last = laps[count - 1];
            int first = 0;
            while (laps[first] <= last - n) {
                first++;
            }
            RelayReader.Result res = RelayReader.read(m);
            List<RelayRecord> recs = res.records();
            assertEquals(count - first, recs.size());
            for (int i = 0; i < recs.size(); i++) {
                byte[] d = recs.get(i).data();
                assertTrue(valid(d), "record " + i + " is torn");
                assertEquals(first + i, seq(d));
                assertEquals(sizes[first + i], d.length);
                assertEquals(laps[first + i], recs.get(i).lap());
            }
            assertEquals(last + 1 - n, m.overwritten(), "every lap past the first n reused a sub-buffer");
            assertEquals(0, m.dropped());
            assertEquals(0, res.skipped());
            assertEquals(0, res.corruptSubbufs());
        }
    }

    @Test
    void aWriterStillInsideASubbufferKeepsItFromBeingReused() {
        try (RelayMap m = create(512, 2, 1, true)) {
            long pending = m.reserve(40);
            m.putLong(pending, 0, 0x5555_5555_5555_5555L);
            int ok = 0;
            int r;
            while ((r = m.output(new byte[100])) == 0) {
                ok++;
            }
            assertEquals(-Errno.EBUSY, r, "the wrap stops at the sub-buffer the pending record is in");
            assertEquals(-Errno.EBUSY, m.output(new byte[100]));
            assertEquals(2, m.dropped());
            assertEquals(0, m.overwritten());
            m.putLong(pending, 32, 0x6666_6666_6666_6666L);
            assertEquals(0, m.commit(pending));
            assertEquals(0, m.output(new byte[100]), "once committed, the slot is reused");
            assertEquals(1, m.overwritten());
            assertTrue(ok >= 4);
        }
    }

    @Test
    void aPendingRecordAmongEqualOnesKeepsItsSubbufferFromBeingReused() {
        try (RelayMap m = create(512, 2, 1, true)) {
            byte[] rec = new byte[24];
            for (int i = 0; i < 5; i++) {
                assertEquals(0, m.output(rec));
            }
            long discarded = m.reserve(24);
            assertEquals(0, m.discard(discarded));
            assertEquals(0, m.output(rec));
            long pending = m.reserve(24); // the 8th of 12 equal records in slot 0: the same-size run meets it
            int r;
            int ok = 0;
            while ((r = m.output(rec)) == 0 && ok < 100) { // 100: far past both slots, had slot 0 been reused
                ok++;
            }
            assertEquals(-Errno.EBUSY, r, "slot 0 still holds the pending record");
            assertEquals(0, m.overwritten());
            assertTrue(ok >= 4 + 11, "the rest of slot 0 and all of slot 1 were written: " + ok);
            assertEquals(0, m.commit(pending));
            assertEquals(0, m.output(rec), "once committed, slot 0 is reused; the discarded record never held it");
            assertEquals(1, m.overwritten());
        }
    }

    @Test
    void theCoarseClockTickerSleepsUntilWritesComeFastAndSlowWritesGetThePreciseTime() throws Exception {
        MapSpec spec = spec(1 << 16, 4, 1, true).flags(MapSpec.F_RELAY_OVERWRITE | MapSpec.F_RELAY_COARSE_CLOCK)
                .build();
        try (RelayMap m = (RelayMap) Maps.create(spec)) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!RelayClock.sleeping() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(RelayClock.sleeping(), "the ticker leaves a stale mark after a round of ticks with few writes");
            long before = System.nanoTime();
            assertEquals(0, m.output(new byte[8]));
            long after = System.nanoTime();
            assertTrue(RelayClock.sleeping(), "one write does not make it tick");
            long stamped = RelayReader.read(m).records().get(0).timestamp();
            assertTrue(stamped >= before - 1 && stamped <= after, "a write read the clock itself: " + stamped);
            for (int i = 0; i < 25; i++) { // 100 writes a second, past two of the ticker's looks
                assertEquals(0, m.output(new byte[8]));
                Thread.sleep(10);
            }
            assertTrue(RelayClock.sleeping(), "slow writes do not make it tick: they cost less than its ticks");
            // Writes as fast as a loop goes: at its next look the ticker finds them and ticks again.
            deadline = System.nanoTime() + 10_000_000_000L;
            while (RelayClock.sleeping() && System.nanoTime() < deadline) {
                for (int i = 0; i < 1000; i++) {
                    assertEquals(0, m.output(new byte[8]));
                }
            }
            assertFalse(RelayClock.sleeping(), "it ticks again for a fast writer");
        }
    }

    @Test
    void theCoarseClockTickerEndsWithTheLastCoarseRelayAndStartsWithTheNext() throws Exception {
        MapSpec spec = spec(4096, 4, 1, false).flags(MapSpec.F_RELAY_COARSE_CLOCK).build();
        try (RelayMap m = (RelayMap) Maps.create(spec)) {
            assertTrue(tickerRuns(), "a coarse relay starts the ticker");
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (tickerRuns() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(tickerRuns(), "no coarse relay is left: the ticker ends");
        try (RelayMap m = (RelayMap) Maps.create(spec(4096, 4, 1, false).flags(MapSpec.F_RELAY_COARSE_CLOCK).build())) {
            assertTrue(tickerRuns(), "the next coarse relay starts it again");
            assertEquals(0, m.output(new byte[8]));
        }
    }

    private static boolean tickerRuns() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("sonde-relay-clock") && t.isAlive());
    }

    @Test
    void theCoarseClockStampsRecordsCloseToNanoTime() throws Exception {
        MapSpec spec = spec(4096, 4, 1, false).flags(MapSpec.F_RELAY_COARSE_CLOCK).build();
        try (RelayMap m = (RelayMap) Maps.create(spec)) {
            Thread.sleep(5);
            long before = System.nanoTime();
            assertEquals(0, m.output(new byte[8]));
            Thread.sleep(50);
            assertEquals(0, m.output(new byte[8]));
            List<RelayRecord> r = RelayReader.read(m).records();
            assertTrue(r.get(0).timestamp() <= before + 1_000_000 && r.get(0).timestamp() >= before - 1_000_000_000L);
            assertTrue(r.get(1).timestamp() > r.get(0).timestamp(), "the ticker moved on while we slept");
        }
    }

    @Test
    void noOverwriteKeepsExactlyTheFirstRecordsAndCountsDrops() throws Exception {
        int sbs = 512;
        int n = 4;
        int count = 5_000;
        try (RelayMap m = create(sbs, n, 1, false)) {
            int[] sizes = new int[count];
            byte[] buf = new byte[512];
            int ok = 0;
            int failed = 0;
            for (int i = 0; i < count; i++) {
                sizes[i] = sizeOf(i, 100);
                fill(buf, sizes[i], 1, i);
                int r = m.output(Arrays.copyOf(buf, sizes[i]));
                if (r == 0) {
                    assertEquals(i, ok, "once full, a no-overwrite relay takes nothing more");
                    ok++;
                } else {
                    assertEquals(-Errno.EAGAIN, r);
                    failed++;
                }
            }
            long[] laps = laps(Arrays.copyOf(sizes, ok + 1), sbs);
            assertTrue(laps[ok] == n, "the first refused record is the one that needed a fifth sub-buffer");
            RelayReader.Result res = RelayReader.read(m);
            assertEquals(ok, res.records().size());
            for (int i = 0; i < ok; i++) {
                assertEquals(i, seq(res.records().get(i).data()));
                assertTrue(valid(res.records().get(i).data()));
            }
            assertEquals(failed, m.dropped());
            assertEquals(failed, res.dropped());
            assertEquals(count, ok + failed);
            assertEquals(0, m.overwritten());
            assertEquals(-Errno.EAGAIN, m.relayFlush(), "a full relay cannot start the sub-buffer a flush needs");
            ByteBuffer mapFile = ByteBuffer.wrap(Files.readAllBytes(m.path())).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(failed, mapFile.getLong(RelayLayout.MAP_DROPPED_OFFSET), "flush publishes the counters");
            assertEquals(4L * sbs, mapFile.getLong(RelayLayout.MAP_BYTES_OFFSET));

            // relay_subbufs_consumed(): releasing two sub-buffers lets writes in again.
            assertEquals(-Errno.EINVAL, m.subbufsConsumed(0, n + 1));
            assertEquals(0, m.subbufsConsumed(0, 2));
            assertEquals(0, m.output(new byte[100]));
        }
    }

    @Test
    void aConsumingReaderKeepsANoOverwriteRelayGoingForEver() {
        int sbs = 512;
        try (RelayMap m = create(sbs, 4, 1, false)) {
            long next = 0;
            long released = 0;
            long refused = 0;
            byte[] buf = new byte[256];
            for (int round = 0; round < 50; round++) {
                int r;
                while (true) {
                    int size = sizeOf(next, 150);
                    fill(buf, size, 3, next);
                    r = m.output(Arrays.copyOf(buf, size));
                    if (r != 0) {
                        break;
                    }
                    next++;
                }
                assertEquals(-Errno.EAGAIN, r, "round " + round + ": full, never stuck");
                refused++;
                if (round % 3 == 0) {
                    assertEquals(-Errno.EAGAIN, m.relayFlush());
                }
                // The reader takes everything present, checks it, and releases the closed sub-buffers.
                List<RelayRecord> recs = RelayReader.read(m).records();
                long lastLap = recs.get(recs.size() - 1).lap();
                for (RelayRecord rec : recs) {
                    assertTrue(valid(rec.data()));
                }
                assertEquals(next - 1, seq(recs.get(recs.size() - 1).data()), "the newest record is present");
                // The newest lap is still the open one (full, but not switched away from): it cannot be released.
                long closed = lastLap;
                assertEquals(-Errno.EINVAL, m.subbufsConsumed(0, closed + 1 - released));
                assertEquals(0, m.subbufsConsumed(0, closed - released));
                released = closed;
            }
            assertEquals(refused, m.dropped());
            assertEquals(0, m.overwritten());
            assertTrue(next > 50 * 4);
        }
    }

    @Test
    void flushClosesTheOpenSubbufferWithRecordedPadding() throws Exception {
        try (RelayMap m = create(1024, 4, 1, false)) {
            assertEquals(0, m.output("hello\n".getBytes(StandardCharsets.UTF_8)));
            assertEquals(0, m.relayFlush());
            assertEquals(0, m.relayFlush(), "an empty sub-buffer is not closed again");
            byte[] file = Files.readAllBytes(m.shardPath(0));
            ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
            int slot0 = RelayLayout.FILE_HEADER_SIZE;
            assertEquals(1024 - 32 - 16 - 8, b.getInt(slot0 + RelayLayout.SB_PADDING_OFFSET));
            assertEquals(1, b.getInt(slot0 + RelayLayout.SB_CLOSED_OFFSET), "lap 0 is closed");
            assertEquals(2, b.getLong(slot0 + 1024 + RelayLayout.SB_SEQ_OFFSET), "lap 1 started in slot 1");
            assertEquals(0, m.output("world\n".getBytes(StandardCharsets.UTF_8)));
            List<RelayRecord> r = RelayReader.read(m).records();
            assertEquals(List.of("hello\n", "world\n"), List.of(r.get(0).text(), r.get(1).text()));
            assertEquals(1, r.get(1).lap());
        }
    }

    @Test
    void textRecordsReadStraightWithCat() throws Exception {
        try (RelayMap m = create(512, 8, 1, true)) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 40; i++) {
                String line = "GET /orders/" + i + " 200 " + "x".repeat(i % 13) + "\n";
                text.append(line);
                assertEquals(0, m.output(line.getBytes(StandardCharsets.UTF_8)));
            }
            assertEquals(0, m.relayFlush());
            assertEquals(0, m.overwritten(), "the text fits without wrapping");
            byte[] file = Files.readAllBytes(m.shardPath(0));
            ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
            StringBuilder cat = new StringBuilder();
            int headerBytes = RelayLayout.FILE_HEADER_SIZE;
            for (int slot = 0; slot < 8; slot++) {
                int base = RelayLayout.FILE_HEADER_SIZE + slot * 512;
                int o = 32;
                headerBytes += 32;
                while (o + 16 <= 512 && b.getInt(base + o + 4) != 0) {
                    int len = b.getInt(base + o) & RelayLayout.LEN_MASK;
                    headerBytes += 16;
                    cat.append(new String(file, base + o + 16, len, StandardCharsets.UTF_8));
                    for (int k = base + o + 16 + len; k < base + o + 16 + ((len + 7) & ~7); k++) {
                        assertEquals(0, file[k], "record padding is NUL");
                    }
                    o += 16 + ((len + 7) & ~7);
                }
                for (int k = base + o; k < base + 512; k++) {
                    assertEquals(0, file[k], "sub-buffer padding is NUL");
                }
            }
            assertEquals(text.toString(), cat.toString());
            // What a terminal shows of `cat`: the file without NULs and headers is exactly the text.
            int nonNul = 0;
            for (byte x : file) {
                nonNul += x != 0 ? 1 : 0;
            }
            assertTrue(nonNul <= text.length() + headerBytes);
            assertTrue(new String(file, StandardCharsets.ISO_8859_1).contains("GET /orders/17 200 xxxx\n"));
        }
    }

    @Test
    void recordPaddingIsNulAgainAfterTheRingWraps() throws Exception {
        try (RelayMap m = create(512, 2, 1, true)) {
            byte[] ones = new byte[64];
            Arrays.fill(ones, (byte) 0x7F);
            for (int i = 0; i < 40; i++) { // several laps of 0x7F bytes in both slots
                assertEquals(0, m.output(ones));
            }
            byte[] odd = "abcde".getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 40; i++) { // 5-byte records over the old bytes: 3 bytes of padding each
                if ((i & 1) == 0) {
                    assertEquals(0, m.output(odd));
                } else {
                    long h = m.reserve(odd.length);
                    assertEquals(0, m.putBytes(h, 0, odd));
                    assertEquals(0, m.commit(h));
                }
            }
            byte[] file = Files.readAllBytes(m.shardPath(0));
            ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
            int records = 0;
            for (int slot = 0; slot < 2; slot++) {
                int base = RelayLayout.FILE_HEADER_SIZE + slot * 512;
                for (int o = 32; o + 16 <= 512 && (b.getInt(base + o) & RelayLayout.LEN_MASK) == 5; o += 24) {
                    assertEquals("abcde", new String(file, base + o + 16, 5, StandardCharsets.UTF_8));
                    for (int k = 5; k < 8; k++) {
                        assertEquals(0, file[base + o + 16 + k], "padding of the record at " + o + " in slot " + slot);
                    }
                    records++;
                }
            }
            assertTrue(records >= 20, "both slots hold the 5-byte records: " + records);
        }
    }

    @Test
    void aMadeUpHandleNeverWritesPastTheFile() {
        try (RelayMap m = create(256, 2, 1, false)) {
            long h = m.reserve(200);
            assertTrue(h >= 0);
            // The first payload word says 0x3FFFFFFF: read as the header of a handle 16 bytes further on, it
            // claims a record reaching far past the 640-byte file.
            m.putInt(h, 0, RelayLayout.LEN_MASK);
            long madeUp = h + RelayLayout.RECORD_HEADER_SIZE;
            int tail = (int) RelayLayout.fileSize(256, 2) - ((int) madeUp & (RelayLayout.HANDLE_TAG - 1));
            assertEquals(-Errno.EINVAL, m.putBytes(madeUp, tail - 4, new byte[64]));
            long otherShard = 7L << 32 | (h & 0xFFFF_FFFFL);
            long untagged = h & ~(long) RelayLayout.HANDLE_TAG;
            long inTheHeaders = RelayLayout.HANDLE_TAG | 64;
            for (long bad : new long[] {otherShard, untagged, inTheHeaders, -h}) {
                assertEquals(-Errno.EINVAL, m.putBytes(bad, 0, new byte[8]), Long.toHexString(bad));
                m.putLong(bad, 0, -1L); // ignored, as a store outside the record
                m.putInt(bad, 0, -1);
                assertEquals(-Errno.EINVAL, m.commit(bad), Long.toHexString(bad));
            }
            assertEquals(RelayLayout.LEN_MASK, m.getInt(h, 0), "nothing wrote over the real record");
            assertEquals(0, m.commit(h));
        }
    }

    @Test
    void aBadArrayRangeThrowsBeforeAnythingIsClaimed() {
        try (RelayMap m = create(256, 2, 1, false)) {
            byte[] data = new byte[16];
            assertThrows(IndexOutOfBoundsException.class, () -> m.output(data, 8, 16));
            assertThrows(IndexOutOfBoundsException.class, () -> m.output(data, -1, 4));
            assertEquals(0, m.relayFlush(), "no record was left BUSY");
            assertEquals(0, m.output(data, 8, 8));
            RelayReader.Result res = RelayReader.read(m);
            assertEquals(1, res.records().size());
            assertEquals(0, res.skipped());
        }
    }

    @Test
    void updateRenamesTheFilesLikeTheProposal() throws Exception {
        try (RelayMap m = create(1024, 2, 2, true)) {
            assertEquals(0, m.output("before\n".getBytes(StandardCharsets.UTF_8)));
            byte[] key = new byte[4];
            byte[] value = new byte[64];
            assertEquals(0, m.lookup(key, value));
            assertEquals(m.name(), new String(value, StandardCharsets.UTF_8).trim().replace("\0", ""));
            byte[] name = Arrays.copyOf("flight.rec".getBytes(StandardCharsets.UTF_8), 64);
            assertEquals(-Errno.EEXIST, m.update(key, name, BpfMap.NOEXIST));
            assertEquals(-Errno.E2BIG, m.update(new byte[] {1, 0, 0, 0}, name, BpfMap.ANY));
            assertEquals(-Errno.EINVAL, m.update(key, name, BpfMap.F_LOCK));
            assertEquals(-Errno.EINVAL, m.update(key, Arrays.copyOf("a/b".getBytes(StandardCharsets.UTF_8), 64), 0));
            assertEquals(-Errno.EINVAL, m.update(key, new byte[64], 0), "an empty name is refused");
            Path old0 = m.shardPath(0);
            assertEquals(0, m.update(key, name, BpfMap.EXIST));
            assertFalse(Files.exists(old0));
            assertEquals(SondeDir.relayDir().resolve("flight.rec#0"), m.shardPath(0));
            assertTrue(Files.exists(m.shardPath(1)));
            assertEquals("flight.rec", m.baseName());
            assertEquals(0, m.output("after\n".getBytes(StandardCharsets.UTF_8)));
            List<RelayRecord> r = RelayReader.readAll(SondeDir.relayDir(), "flight.rec").records();
            assertEquals(2, r.size());
            assertEquals(0, m.lookup(key, value));
            assertArrayEquals(name, value);
            assertEquals(-Errno.ENOENT, m.lookup(new byte[] {2, 0, 0, 0}, value));
            assertEquals(-Errno.EINVAL, m.delete(key));
            byte[] next = new byte[] {9, 9, 9, 9};
            assertEquals(0, m.getNextKey(null, next));
            assertArrayEquals(new byte[4], next);
            assertEquals(-Errno.ENOENT, m.getNextKey(key, next));
            assertThrows(SondeException.class, () -> m.update(new byte[3], name, 0));

            try (RelayMap other = create(1024, 2, 2, true)) {
                byte[] taken = Arrays.copyOf(other.baseName().getBytes(StandardCharsets.UTF_8), 64);
                assertEquals(-Errno.EEXIST, m.update(key, taken, 0));
                assertEquals("flight.rec", m.baseName());
            }
            Path renamed = m.shardPath(0);
            m.close();
            assertFalse(Files.exists(renamed), "the renamed files are removed with the map");
        }
    }

    @Test
    void openedFromItsMapFileTheRelayIsReadOnly() {
        try (RelayMap m = create(1024, 2, 2, false)) {
            assertEquals(0, m.output("x\n".getBytes(StandardCharsets.UTF_8)));
            BpfMap o = Maps.open(m.path());
            assertTrue(o instanceof RelayMap);
            RelayMap r = (RelayMap) o;
            assertEquals(-Errno.EPERM, r.output(new byte[4]));
            assertEquals(-Errno.EPERM, r.reserve(4));
            assertEquals(-Errno.EPERM, r.relayFlush());
            assertEquals(-Errno.EPERM, r.update(new byte[4], new byte[64], BpfMap.F_LOCK), "EPERM comes first");
            assertEquals(-Errno.EPERM, r.subbufsConsumed(0, 1));
            assertEquals(-Errno.EPERM, r.commit(1L << 30 | 200));
            assertEquals(m.baseName(), r.baseName());
            assertEquals(1, RelayReader.read(r).records().size());
            r.close();
            assertTrue(Files.exists(m.shardPath(0)), "closing a map opened from a file leaves the files alone");
            BpfMap w = Maps.open(m.path(), true);
            assertEquals(0, ((RelayMap) w).output("from the CLI\n".getBytes(StandardCharsets.UTF_8)));
            w.close();
            assertTrue(Files.exists(m.shardPath(0)), "also when opened writable");
            assertEquals(2, RelayReader.read(m).records().size());
        }
    }

    @Test
    void recordsOfAllShardsMergeInTimeOrder() throws Exception {
        try (RelayMap m = create(4096, 4, 4, false)) {
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int tid = t;
                Thread th = new Thread(() -> {
                    byte[] buf = new byte[64];
                    for (int i = 0; i < 100; i++) {
                        fill(buf, 32, tid, i);
                        assertEquals(0, m.output(Arrays.copyOf(buf, 32)));
                    }
                });
                ts.add(th);
                th.start();
                th.join();
            }
            List<RelayRecord> r = RelayReader.read(m).records();
            assertEquals(400, r.size());
            for (int i = 1; i < r.size(); i++) {
                assertTrue(r.get(i - 1).epochNanos() <= r.get(i).epochNanos());
            }
            for (int i = 0; i < 400; i++) {
                assertEquals(i / 100, thread(r.get(i).data()), "threads ran one after the other");
                assertEquals(i % 100, seq(r.get(i).data()));
            }
        }
    }
}
