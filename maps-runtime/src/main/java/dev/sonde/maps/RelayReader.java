package dev.sonde.maps;

import static dev.sonde.maps.RelayLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Reads relay shard files ({@link RelayLayout}): one file, or all of a map's files merged in time order, oldest
 * record first. Works on the files of a running JVM, of a dead one and on snapshots.
 *
 * <p>A live shard is copied as a seqlock reads ({@link RelayImage}): a sub-buffer that a newer lap could have
 * written into while it was copied is left out; the per-sub-buffer {@code seq} and each record's stamp then
 * tell which bytes belong to which lap. A record still marked BUSY (a writer inside it, or killed inside it) is
 * skipped and counted, never returned.
 */
public final class RelayReader {
    private RelayReader() {
    }

    /** What a read found. */
    public static final class Result {
        private final List<RelayRecord> records;
        private final long skipped;
        private final long corruptSubbufs;
        private final long leftOut;
        private final long overwritten;
        private final long dropped;
        private final java.util.Map<Integer, Long> firstPending;

        Result(List<RelayRecord> records, long skipped, long corruptSubbufs, long leftOut, long overwritten, long dropped,
                java.util.Map<Integer, Long> firstPending) {
            this.records = Collections.unmodifiableList(records);
            this.firstPending = firstPending;
            this.skipped = skipped;
            this.corruptSubbufs = corruptSubbufs;
            this.leftOut = leftOut;
            this.overwritten = overwritten;
            this.dropped = dropped;
        }

        /** Committed records still present, oldest first. */
        public List<RelayRecord> records() { return records; }
        /** Records being written (or whose writer died inside them): left out, with the claims after them. */
        public long skipped() { return skipped; }
        /** Sub-buffers whose headers or records do not parse: left out. */
        public long corruptSubbufs() { return corruptSubbufs; }
        /** Sub-buffers reused while the file was being copied, or left out of a snapshot. */
        public long leftOut() { return leftOut; }
        /** The writers' count of sub-buffers overwritten before being read. */
        public long overwritten() { return overwritten; }
        /** The writers' count of refused writes. */
        public long dropped() { return dropped; }
        /**
         * The {@link RelayRecord#position()} of the first record of file {@code file} that was skipped as being
         * written (BUSY, or claimed with no header yet), or {@code Long.MAX_VALUE}: a later read may return it, in
         * front of records this read returned. An exporter that marks what it sent by position holds back what
         * follows it.
         */
        public long firstPending(int file) { return firstPending.getOrDefault(file, Long.MAX_VALUE); }
    }

    /** Reads one shard file. */
    public static Result read(Path file) {
        Shard s = readShard(RelayFile.open(file, false), file);
        return merge(Collections.singletonList(s));
    }

    /** Reads all files {@code <base>#<n>} in {@code dir}, merged in time order. */
    public static Result readAll(Path dir, String base) {
        List<Path> files = files(dir, base);
        if (files.isEmpty()) {
            throw new SondeException(Errno.ENOENT, "no relay files " + base + "#<n> in " + dir
                    + "; check the directory (<sonde dir>/<pid>/relay or a snapshot) and the base name");
        }
        List<Shard> shards = new ArrayList<>();
        for (Path f : files) {
            shards.add(readShard(RelayFile.open(f, false), f));
        }
        return merge(shards);
    }

    /** Reads every shard of a live relay of this JVM, merged in time order. */
    public static Result read(RelayMap map) {
        List<Shard> shards = new ArrayList<>();
        for (int i = 0; i < map.numFiles(); i++) {
            shards.add(readShard(map.shardBuffer(i), map.shardPath(i)));
        }
        return merge(shards);
    }

    /** The shard files of {@code base} in {@code dir}, by shard number. */
    static List<Path> files(Path dir, String base) {
        List<Path> out = new ArrayList<>();
        List<Integer> nums = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, base + "#*")) {
            for (Path p : ds) {
                String suffix = p.getFileName().toString().substring(base.length() + 1);
                if (!suffix.isEmpty() && suffix.chars().allMatch(Character::isDigit) && suffix.length() < 6) {
                    nums.add(Integer.parseInt(suffix));
                }
            }
        } catch (IOException e) {
            throw new SondeException(Errno.ENOENT, "cannot list relay directory " + dir + ": " + e
                    + "; point at <sonde dir>/<pid>/relay or a snapshot directory", e);
        }
        Collections.sort(nums);
        for (int n : nums) {
            out.add(dir.resolve(fileName(base, n)));
        }
        return out;
    }

    private static Shard readShard(ByteBuffer live, Path path) {
        RelayImage im = RelayImage.copy(live);
        RelayFile.validate(path, im.buffer, im.bytes.length);
        return parse(im);
    }

    /** The records of one shard image, oldest first. */
    static Shard parse(RelayImage im) {
        ByteBuffer b = im.buffer;
        long pos = im.pos;
        int sbs = b.getInt(SUBBUF_SIZE_OFFSET);
        int n = b.getInt(N_SUBBUFS_OFFSET);
        int shardNo = b.getInt(SHARD_OFFSET);
        long clockBase = b.getLong(CLOCK_BASE_OFFSET);
        Shard s = new Shard(b.getLong(OVERWRITTEN_OFFSET), b.getLong(DROPPED_OFFSET));
        s.file = shardNo;
        long current = lapOf(pos, sbs);
        int currentEnd = offsetOf(pos, sbs);
        for (long lap = Math.max(0, current - n + 1); lap <= current; lap++) {
            if (im.reused(lap)) {
                s.leftOut++;
                continue;
            }
            int base = (int) subbufOffset((int) (lap & (n - 1)), sbs);
            long seq = b.getLong(base + SB_SEQ_OFFSET);
            if (seq == 0 || seq > lap + 1) {
                // Left out of a snapshot, or already holding a newer lap. A seq below lap + 1 is only a switch
                // still under way (or cut short by a kill): the record stamps still tell this lap's bytes.
                s.leftOut++;
                continue;
            }
            // The padding counts once the close word carries this lap's tag; before that (a switch under way,
            // or cut short by a kill) the records are bounded by the sub-buffer and their stamps alone.
            boolean closed = b.getInt(base + SB_CLOSED_OFFSET) == (int) (lap + 1);
            int padding = closed ? b.getInt(base + SB_PADDING_OFFSET) : 0;
            if (padding < 0 || padding > sbs - SUBBUF_HEADER_SIZE) {
                s.corruptSubbufs++;
                continue;
            }
            int end = lap == current ? currentEnd : sbs;
            // The open lap's records end at the position, unless a refused write closed it (a full no-overwrite
            // buffer): then the padding says where, and the zeros after the last record are no lost claim.
            int dataEnd = closed ? sbs - padding : lap == current ? currentEnd : SUBBUF_HEADER_SIZE;
            parseSubbuf(b, base, lap, end, dataEnd, shardNo, clockBase, s);
        }
        return s;
    }

    private static void parseSubbuf(ByteBuffer b, int base, long lap, int end, int dataEnd, int shardNo, long clockBase,
            Shard s) {
        int o = SUBBUF_HEADER_SIZE;
        List<RelayRecord> found = new ArrayList<>();
        // Where the lap's records are known to end (the current lap's write position, a closed lap's padding);
        // a lap cut short by a kill during a switch is bounded by its sub-buffer and its stamps alone.
        boolean bounded = dataEnd > SUBBUF_HEADER_SIZE;
        while (o + RECORD_HEADER_SIZE <= end) {
            if (b.getInt(base + o + REC_STAMP_OFFSET) != stamp(lap, o)) {
                if (bounded && o >= dataEnd) {
                    break; // padding, or the end of what was claimed
                }
                // A claim whose header was never written (a writer inside, or killed right after its CAS): its
                // length is unknown, but every header carries the stamp of its own offset, so the records
                // claimed after it are found again by scanning ahead, 8 bytes at a time.
                int next = resync(b, base, lap, o + 8, end);
                if (next < 0) {
                    if (o < dataEnd) {
                        s.pending(lap, o);
                    }
                    break;
                }
                s.pending(lap, o);
                o = next;
                continue;
            }
            int h = b.getInt(base + o + REC_LEN_OFFSET);
            int len = h & LEN_MASK;
            int size = recordSize(len);
            if (len > end || o + size > end) {
                s.corruptSubbufs++;
                return;
            }
            if ((h & BUSY) != 0) {
                s.pending(lap, o);
            } else if ((h & DISCARD) == 0) {
                long t = b.getLong(base + o + REC_TIME_OFFSET);
                byte[] data = new byte[len];
                b.get(base + o + RECORD_HEADER_SIZE, data);
                found.add(new RelayRecord(shardNo, lap, o, t, t + clockBase, data));
            }
            o += size;
        }
        s.records.addAll(found);
    }

    /**
     * The first offset from {@code from} holding a header stamped for lap {@code lap} whose record fits before
     * {@code end}, or -1. A payload word matches a stamp by chance with odds of 2^-31.
     */
    private static int resync(ByteBuffer b, int base, long lap, int from, int end) {
        for (int o = from; o + RECORD_HEADER_SIZE <= end; o += 8) {
            if (b.getInt(base + o + REC_STAMP_OFFSET) == stamp(lap, o)
                    && o + recordSize(b.getInt(base + o + REC_LEN_OFFSET) & LEN_MASK) <= end) {
                return o;
            }
        }
        return -1;
    }

    static final class Shard {
        final List<RelayRecord> records = new ArrayList<>();
        final long overwritten;
        final long dropped;
        long skipped;
        long corruptSubbufs;
        long leftOut;
        int file = -1;
        long firstPending = Long.MAX_VALUE;

        /** A claim at {@code o} in lap {@code lap} skipped as being written. */
        void pending(long lap, int o) {
            skipped++;
            firstPending = Math.min(firstPending, RelayRecord.position(lap, o));
        }

        Shard(long overwritten, long dropped) {
            this.overwritten = overwritten;
            this.dropped = dropped;
        }
    }

    /**
     * Merges shards by timestamp, keeping each shard's own order (its claim order), so one thread's records stay
     * in the order it wrote them.
     */
    static Result merge(List<Shard> shards) {
        long skipped = 0;
        long corrupt = 0;
        long leftOut = 0;
        long overwritten = 0;
        long dropped = 0;
        int total = 0;
        java.util.Map<Integer, Long> firstPending = new java.util.HashMap<>();
        for (Shard s : shards) {
            if (s.firstPending != Long.MAX_VALUE) {
                firstPending.merge(s.file, s.firstPending, Math::min);
            }
            skipped += s.skipped;
            corrupt += s.corruptSubbufs;
            leftOut += s.leftOut;
            overwritten += s.overwritten;
            dropped += s.dropped;
            total += s.records.size();
        }
        List<RelayRecord> out = new ArrayList<>(total);
        PriorityQueue<int[]> heads = new PriorityQueue<>((x, y) -> {
            RelayRecord a = shards.get(x[0]).records.get(x[1]);
            RelayRecord c = shards.get(y[0]).records.get(y[1]);
            int cmp = Long.compare(a.epochNanos(), c.epochNanos());
            return cmp != 0 ? cmp : Integer.compare(x[0], y[0]);
        });
        for (int i = 0; i < shards.size(); i++) {
            if (!shards.get(i).records.isEmpty()) {
                heads.add(new int[] {i, 0});
            }
        }
        while (!heads.isEmpty()) {
            int[] h = heads.poll();
            List<RelayRecord> l = shards.get(h[0]).records;
            out.add(l.get(h[1]));
            if (++h[1] < l.size()) {
                heads.add(h);
            }
        }
        return new Result(out, skipped, corrupt, leftOut, overwritten, dropped, firstPending);
    }
}
