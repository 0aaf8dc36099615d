package dev.sonde.maps;

import static dev.sonde.maps.RelayLayout.*;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The writers' side of the relay protocol on a shard file ({@link RelayLayout}): claiming a record with a CAS on
 * the write position, switching to the next sub-buffer (as {@code relay_switch_subbuf()}), padding and closing
 * the old one, and deciding whether a slot may be reused. Lock-free and allocation-free; never waits.
 *
 * <p>Which file a thread writes: shard {@code thread id & (shards - 1)}, shared with the other threads of that id,
 * claimed with a CAS. With {@link MapSpec#F_RELAY_PRIVATE_SHARDS} each shard {@code s} also has a private file,
 * {@code shards + s}, owned by at most one thread at a time, which writes it with plain stores: the kernel relay's
 * per-CPU buffer, where no one else ever writes, so no atomic instruction is needed (a 32-byte write in 8 ns
 * instead of 10, benchmarks/README.md, "Relay", stop 21). A thread takes the private file of its shard when it closes a
 * sub-buffer of the shared file that it wrote alone, and keeps it until it ends; the next thread that writes a
 * shared sub-buffer alone then takes it over. Nobody else can write a file a live thread owns, so nobody needs its
 * owner's cooperation, which a thread that stops writing would never give. One thread's records stay in order:
 * it moves once, from its shared file to the private one, whose number is higher, and readers merge files in
 * time order with ties broken by file number (RelayReader.merge).
 */
final class RelayWriter {
    private static final VarHandle LONG = MapMemory.LONG;
    private static final byte[] ZEROS = new byte[4096];

    /** The map's files: the shared shards, then the private ones (RelayMap's array). */
    private final ByteBuffer[] files;
    /** Shared shards (a power of two): private file {@code shards + s} belongs to shard {@code s}. */
    private final int shards;
    /**
     * {@code privates[s]}: private file {@code shards + s} and its owner. Null when the map has no private files,
     * or was opened from its files by another JVM, whose threads it cannot see.
     */
    private final RelayPrivateFile[] privates;

    private final int subbufSize;
    private final int subbufShift;
    private final int subbufMask;
    private final int nSubbufs;
    private final boolean overwrite;
    private final boolean coarseClock;
    /**
     * Per shard, how far a walk of {@link #lapDone} got: {@code (lap + 1) << 32 | offset}. Records before that
     * offset were committed and stay so until the slot is reused, so a retry resumes there instead of walking a
     * whole sub-buffer again on every write refused while a writer is still inside.
     */
    private final AtomicLongArray walked;
    /**
     * Per file, a cache line apart so files written by different threads do not share one: at {@code slot}, the
     * write position after the last claim made through this writer, the expected value of the next claim's CAS;
     * at {@code slot + SOLE}, for a shared file, the id of the thread that has written its open sub-buffer alone,
     * or -1 once another thread wrote into it too. Shared files only: a private file's position is in its
     * {@link RelayPrivateFile}.
     */
    private final long[] expect;
    private static final int EXPECT_SHIFT = 3;
    private static final int SOLE = 1;
    /** {@link #advance}'s {@code need} for a flush: a claim always needs at least a record header. */
    private static final int FLUSH = 0;
    /**
     * {@link #advance} is longer than this many bytes of bytecode, C2's {@code FreqInlineSize} (325 on JDK 17 and
     * 25), so C2 never inlines it, however hot: inlined with what it calls into {@code output}, it made that method
     * compile to 11.8 KB, past {@code InlineSmallCode} (2500 bytes), and C2 inlines no method compiled that big into
     * its callers. Then a 32-byte write cost 13 ns instead of 9.5, in the forks of a benchmark where the switch had
     * run a few hundred times before C2 compiled {@code output} (benchmarks/README.md, "Relay"). RelayWriterTest
     * checks the size.
     */
    static final int SLOW_PATH_MIN_BYTECODES = 326;

    /**
     * @param files the map's files, {@code numShards} shared ones and, when {@code privateShards}, as many private
     *     ones after them
     * @param privateShards whether this writer hands private files to threads (only in the JVM that made them)
     */
    RelayWriter(ByteBuffer[] files, int numShards, int subbufSize, int nSubbufs, boolean overwrite,
            boolean coarseClock, boolean privateShards) {
        this.files = files;
        this.shards = numShards;
        if (privateShards) {
            this.privates = new RelayPrivateFile[numShards];
            for (int s = 0; s < numShards; s++) {
                privates[s] = new RelayPrivateFile(files[numShards + s], numShards + s);
            }
        } else {
            this.privates = null;
        }
        this.subbufSize = subbufSize;
        this.subbufShift = Integer.numberOfTrailingZeros(subbufSize);
        this.subbufMask = subbufSize - 1;
        this.nSubbufs = nSubbufs;
        this.overwrite = overwrite;
        this.coarseClock = coarseClock;
        this.walked = new AtomicLongArray(files.length);
        this.expect = new long[numShards << EXPECT_SHIFT];
        if (coarseClock) {
            RelayClock.register(this);
        }
    }

    /** The map is freed: the coarse clock stops watching this writer. */
    void close() {
        if (coarseClock) {
            RelayClock.unregister(this);
        }
    }

    /**
     * The sum over shards of the positions this writer's claims left: how far it moved, for the coarse clock's
     * ticker (another thread, reading heap memory that the writers store to without ordering: an estimate).
     */
    long claimed() {
        long sum = 0;
        for (int i = 0; i < expect.length; i += 1 << EXPECT_SHIFT) {
            sum += expect[i];
        }
        if (privates != null) {
            for (RelayPrivateFile f : privates) {
                sum += f.pos;
            }
        }
        return sum;
    }

    /** The record timestamp: {@code System.nanoTime()}, or the cached clock. */
    long now() {
        return coarseClock ? RelayClock.now() : System.nanoTime();
    }

    /**
     * Claims {@code recordSize(size)} bytes in the calling thread's file and writes the record header (BUSY);
     * returns {@code file << 32 | the header's offset in the file}, or a negative errno. Only the common case, a
     * record that fits the open sub-buffer at the first try, is here: one CAS (none in a private file) and the
     * header's stores. The retry loop and the switch are {@link #advance}, which C2 never inlines, so the writers
     * this inlines into keep their compiled code small (each byte-buffer access compiles to 250-350 bytes, see
     * benchmarks/README.md, "Relay").
     */
    @SuppressWarnings("deprecation") // Thread.getId(): threadId() needs JDK 19 and we compile for 17
    long claim(int size) {
        // First, while little is live: a stale coarse clock makes this a call (System.nanoTime()).
        long now = now();
        int need = recordSize(size);
        Thread me = Thread.currentThread();
        int shard = Shards.of(me, shards);
        RelayPrivateFile f = ownFile(me, shard);
        boolean owned = f != null;
        int file = owned ? f.file : shard;
        ByteBuffer b = owned ? f.buffer : files[shard];
        int slot = shard << EXPECT_SHIFT;
        long p = owned ? claimOwned(f, need) : claimGuessed(b, slot, need);
        if (p >= 0) {
            if (privates != null && !owned) {
                wrote(slot, me.getId());
            }
            return (long) file << 32 | header(b, lapIn(p), offsetIn(p), size, now);
        }
        int at = advance(b, file, size, need, me);
        return at < 0 ? at : (long) file << 32 | at;
    }

    /** Thread {@code me}'s private file of {@code shard} if it owns it, else null. */
    private RelayPrivateFile ownFile(Thread me, int shard) {
        RelayPrivateFile[] pf = privates;
        RelayPrivateFile f = pf == null ? null : pf[shard];
        return f != null && f.owner == me ? f : null; // plain: see RelayPrivateFile.owner
    }

    /**
     * Keeps {@code slot + SOLE} up to date after thread {@code tid} wrote into a shared file: 0 while nobody has
     * written into the open sub-buffer, then the first writer's id, then -1 once a second thread wrote. Plain and
     * racy on purpose: a wrong guess only hands a private file over a sub-buffer early or late, which is always
     * safe; the store happens once a sub-buffer per thread, not once a record.
     */
    private void wrote(int slot, long tid) {
        long[] e = expect;
        long sole = e[slot + SOLE];
        if (sole != tid) {
            e[slot + SOLE] = sole == 0 ? tid : -1;
        }
    }

    /**
     * The first try of a claim in a private file, which only the calling thread writes: the claimed position, or
     * -1 when the record does not fit the open sub-buffer. No CAS and no read of the file: {@code f} holds the
     * position, and {@link #cacheLap} what the open sub-buffer's records need, so the fit, the record's offset and
     * its stamp are an add, a compare and a multiply. The position still goes to the file, plainly: readers order
     * themselves on the record's header, stored after it with release, and on the switch, still a CAS.
     */
    private static long claimOwned(RelayPrivateFile f, int need) {
        long p = f.pos;
        if (p + need <= f.limit) {
            f.pos = p + need;
            HotMemory.putLong(f.buffer, POS_OFFSET, p + need);
            return p;
        }
        return -1;
    }

    /**
     * After a private file's position moved to {@code pos} on the slow path: the position, and for its lap the
     * end position, the distance from a position to its file offset, and the stamp's sum at position 0, so that
     * {@link #claimOwned} and {@code output} work from the position alone.
     */
    private void cacheLap(RelayPrivateFile f, long pos) {
        long lap = lapIn(pos);
        long start = lap << subbufShift; // the position of the lap's byte 0: offsetIn(p) == p - start
        f.pos = pos;
        f.limit = start + subbufSize;
        f.delta = slotBase(lap) - start;
        f.stamp = stampSum(lap, 0) - start * STAMP_OFFSET_FACTOR;
    }

    /**
     * The first try of a claim of {@code need} bytes: the claimed position, or -1 when the guess was stale or the
     * record does not fit the open sub-buffer. The guess is the position this shard's last claim left, not a
     * read of the file's: the CAS needs no read before it, and a stale guess (another thread wrote, or a flush)
     * only fails the CAS. A successful CAS read what the CAS that made the position wrote, which orders the lap
     * it started before our writes.
     */
    private long claimGuessed(ByteBuffer b, int slot, int need) {
        long[] guesses = expect; // a local: after the CAS, a full fence, the JIT would load and check it again
        long p = guesses[slot];
        if (offsetIn(p) + need <= subbufSize && HotMemory.compareAndSetLong(b, POS_OFFSET, p, p + need)) {
            guesses[slot] = p + need;
            return p;
        }
        return -1;
    }

    /** RelayLayout.lapOf with a shift: the lap position {@code p} is in (a position on a boundary ends its lap). */
    private long lapIn(long p) {
        return (p - 1) >>> subbufShift;
    }

    /** RelayLayout.offsetOf with a mask: where position {@code p} lies in its lap's sub-buffer, in (0, subbufSize]. */
    private int offsetIn(long p) {
        return ((int) p - 1 & subbufMask) + 1;
    }

    /**
     * {@code output}'s write of {@code len} bytes of {@code src} into the calling thread's file: 0 or a negative
     * errno. On the fast path the header goes last: payload and timestamp first, then length and stamp together in
     * one release store, which publishes the record whole, with no BUSY state in between. Until that store the
     * claim has no header, a state every reader already handles (the stamp of the next record's offset finds it,
     * and lapDone waits for it as for BUSY); the store after the copy takes the stamp's multiplies off the path
     * between the CAS and the first store. Anything else takes {@link #claim}'s path: a BUSY header first, then
     * the copy.
     */
    @SuppressWarnings("deprecation") // Thread.getId(), as in claim
    int output(byte[] src, int srcOff, int len) {
        long now = now(); // first, as in claim
        int need = recordSize(len);
        Thread me = Thread.currentThread();
        int shard = Shards.of(me, shards);
        RelayPrivateFile f = ownFile(me, shard);
        // One path through both kinds of file, and one call of the slow path: C2 inlines a method into its
        // callers only while its compiled code stays under InlineSmallCode (2500 bytes; see SLOW_PATH_MIN_BYTECODES).
        boolean owned = f != null;
        ByteBuffer b = owned ? f.buffer : files[shard];
        int slot = shard << EXPECT_SHIFT;
        long p = owned ? claimOwned(f, need) : claimGuessed(b, slot, need);
        if (p < 0) {
            return outputSlow(b, owned ? f.file : shard, src, srcOff, len, need, me);
        }
        int at;
        long sum;
        if (owned) {
            at = (int) (p + f.delta);
            sum = f.stamp + p * STAMP_OFFSET_FACTOR;
        } else {
            if (privates != null) {
                wrote(slot, me.getId());
            }
            long lap = lapIn(p);
            int off = offsetIn(p);
            at = slotBase(lap) + off;
            sum = stampSum(lap, off);
        }
        write(b, at, now, src, srcOff, len, sum);
        return 0;
    }

    /** {@code output}'s record at file offset {@code at}, whose stamp's sum ({@link RelayLayout#stampSum}) is given. */
    private static void write(ByteBuffer b, int at, long now, byte[] src, int srcOff, int len, long stampSum) {
        HotMemory.putLong(b, at + REC_TIME_OFFSET, now);
        zeroLastWord(b, at, len);
        HotCopy.copy(b, at + RECORD_HEADER_SIZE, src, srcOff, len);
        // Release: payload, padding and timestamp are visible before the header that says the record is there.
        // The stamp is the sum's top half with bit 0 set (RelayLayout.stamp).
        HotMemory.putLongRelease(b, at + REC_LEN_OFFSET,
                stampSum & 0xFFFF_FFFF_0000_0000L | 1L << 32 | (len & 0xFFFF_FFFFL));
    }

    /** {@code output} when the first try failed: {@link #advance}'s claim with a BUSY header, the copy, the commit. */
    private int outputSlow(ByteBuffer b, int file, byte[] src, int srcOff, int len, int need, Thread me) {
        int at = advance(b, file, len, need, me);
        if (at < 0) {
            return at;
        }
        HotCopy.copy(b, at + RECORD_HEADER_SIZE, src, srcOff, len);
        publish(b, at, len, 0);
        return 0;
    }

    /**
     * Everything that moves a shard's write position but the fast path's single CAS: a claim of {@code need} bytes
     * that lost a race or does not fit the open sub-buffer, or, with {@code need} {@link #FLUSH}, the close of a
     * sub-buffer that holds anything. Starting the next sub-buffer is relay_switch_subbuf(): only once every claim
     * of the lap whose slot it reuses is settled, and in no-overwrite mode only once that lap was consumed.
     * Returns the header offset of the claimed record (0 for a flush) or a negative errno.
     *
     * <p>One method, larger than C2 inlines, on purpose ({@link #SLOW_PATH_MIN_BYTECODES}): split up, C2 inlined
     * the pieces into the writers whenever this path had run a few hundred times by the time it compiled them, and
     * the writers' compiled code then grew past what their own callers inline.
     */
    @SuppressWarnings("deprecation") // Thread.getId(), as in claim
    private int advance(ByteBuffer b, int file, int size, int need, Thread me) {
        long now = now();
        boolean shared = file < shards;
        int slot = shared ? file << EXPECT_SHIFT : -1;
        long tid = me.getId();
        for (;;) {
            // Acquire: pairs with the CAS that made this position, so the lap it started is set up for us.
            long p = (long) LONG.getAcquire(b, POS_OFFSET);
            long lap = lapIn(p);
            int off = offsetIn(p);
            if (need == FLUSH) {
                if (off == SUBBUF_HEADER_SIZE) {
                    return 0; // nothing written since the last switch
                }
            } else if (off + need <= subbufSize) {
                // A lost race, or someone else switched meanwhile and the record fits the new sub-buffer.
                if (LONG.compareAndSet(b, POS_OFFSET, p, p + need)) {
                    moved(file, p + need);
                    if (shared) {
                        wrote(slot, tid);
                    }
                    return header(b, lap, off, size, now);
                }
                continue;
            }
            long next = lap + 1;
            long prev = next - nSubbufs; // the lap whose slot the next one reuses
            int err = 0;
            if (prev >= 0) {
                // Acquire: the reader's release of these sub-buffers happens before we write into them.
                if (!overwrite && prev >= (long) LONG.getAcquire(b, CONSUMED_OFFSET)) {
                    err = -Errno.EAGAIN;
                } else if (!lapDone(b, file, prev)) {
                    err = -Errno.EBUSY;
                }
            }
            if (err != 0) {
                if (need == FLUSH) {
                    return err;
                }
                if (err == -Errno.EAGAIN && off < subbufSize) {
                    // As relay.c marks a full buffer: the tail is closed before we report the refusal, so
                    // smaller records cannot slip in after it and the buffer keeps exactly the first records.
                    if (!LONG.compareAndSet(b, POS_OFFSET, p, (lap << subbufShift) + subbufSize)) {
                        continue;
                    }
                    pad(b, lap, off);
                }
                LONG.getAndAdd(b, DROPPED_OFFSET, 1L);
                // A guess again: where the refusal's closing of the sub-buffer left the position.
                moved(file, (long) LONG.getOpaque(b, POS_OFFSET));
                return err;
            }
            long claimed = (next << subbufShift) + SUBBUF_HEADER_SIZE + need;
            if (LONG.compareAndSet(b, POS_OFFSET, p, claimed)) {
                pad(b, lap, off);
                int nw = slotBase(next);
                LONG.set(b, nw + SB_START_OFFSET, now);
                // Release: a reader that sees the new seq sees the lap's start time.
                LONG.setRelease(b, nw + SB_SEQ_OFFSET, next + 1);
                if (next >= nSubbufs && overwrite) {
                    LONG.getAndAdd(b, OVERWRITTEN_OFFSET, 1L);
                }
                moved(file, claimed);
                if (shared && privates != null) {
                    if (need != FLUSH && expect[slot + SOLE] == tid) {
                        handOver(file, me);
                    }
                    expect[slot + SOLE] = need == FLUSH ? 0 : tid;
                }
                return need == FLUSH ? 0 : header(b, next, SUBBUF_HEADER_SIZE, size, now);
            }
        }
    }

    /** The slow path moved file {@code file}'s position to {@code pos}: the next claim's guess, or its cache. */
    private void moved(int file, long pos) {
        if (file < shards) {
            expect[file << EXPECT_SHIFT] = pos;
        } else {
            cacheLap(privates[file - shards], pos);
        }
    }

    /**
     * Gives the calling thread, which just closed a sub-buffer of shared shard {@code shard} that it wrote alone,
     * that shard's private file, unless a live thread owns it. Its next write goes there.
     */
    private void handOver(int shard, Thread me) {
        privates[shard].takeIfFree(me);
    }

    /** Writes the header of a record just claimed at {@code off} in lap {@code lap}; returns its file offset. */
    private int header(ByteBuffer b, long lap, int off, int size, long now) {
        int at = slotBase(lap) + off;
        // Plain stores: no reader counts the record before commit's release store, which publishes these with
        // the payload; a reader or lapDone that sees them early sees BUSY, and one that does not sees a stale
        // stamp: either way "not committed". Length (BUSY) and stamp in one 8-byte store, so a reader never
        // pairs this lap's stamp with an old lap's length.
        HotMemory.putLong(b, at + REC_TIME_OFFSET, now);
        HotMemory.putLong(b, at + REC_LEN_OFFSET, (long) stamp(lap, off) << 32 | ((size | BUSY) & 0xFFFF_FFFFL));
        zeroLastWord(b, at, size);
        return at;
    }

    /**
     * A payload of {@code size} bytes whose last word ends in padding: zeroes that word first, as the layout wants
     * the padding zero; an old lap's bytes there would show through cat and a reader's copy. The writer's payload
     * stores then overwrite the rest of the word.
     */
    private static void zeroLastWord(ByteBuffer b, int at, int size) {
        if ((size & 7) != 0) {
            HotMemory.putLong(b, at + RECORD_HEADER_SIZE + (size & ~7), 0L);
        }
    }

    /**
     * Whether every claim of closed lap {@code lap} is committed or discarded, so its slot may be reused: a walk
     * over its record headers on each switch (amortised, one header read per record) instead of an atomic
     * counter on each commit, which keeps commit a plain release store.
     */
    private boolean lapDone(ByteBuffer b, int file, long lap) {
        int base = slotBase(lap);
        // Acquire: the padding zeroed before the close word was set is in place.
        long close = (long) LONG.getAcquire(b, base + SB_CLOSE_OFFSET);
        if ((int) (close >>> 32) != (int) (lap + 1)) {
            return false;
        }
        int end = subbufSize - (int) close;
        long hint = walked.get(file);
        int o = (int) (hint >>> 32) == (int) (lap + 1) ? (int) hint : SUBBUF_HEADER_SIZE;
        while (o < end) {
            // One 8-byte read, so length and stamp come from the same store. Plain: this runs once per record
            // of the lap, and the fence below orders all of them at once.
            long header = HotMemory.getLong(b, base + o + REC_LEN_OFFSET);
            int h = (int) header;
            if ((int) (header >>> 32) != stamp(lap, o) || (h & BUSY) != 0) {
                walked.lazySet(file, (lap + 1) << 32 | o);
                return false;
            }
            o = sameSizeRun(b, base, lap, o + recordSize(h & LEN_MASK), end, h);
        }
        // Acquire for every header read above: each writer's payload stores happen before we overwrite its bytes.
        VarHandle.acquireFence();
        return o == end;
    }

    /**
     * Follows the run of records after one whose header's low word was {@code low} (committed, same length and
     * flags) from {@code o}; returns where the run ends, at the first header that differs or at {@code end}.
     * The walk above has to read a header to learn where the next one is, one dependent cache read per record
     * (3.6 ns a record on the benchmark's 32-byte records, more than a third of a write); in a run of equal
     * records the offsets are known beforehand, so the reads overlap. A header is accepted here only if the
     * walk would accept it and step over it by the same size, so where a run ends the walk goes on exactly.
     */
    private static int sameSizeRun(ByteBuffer b, int base, long lap, int o, int end, int low) {
        int step = recordSize(low & LEN_MASK);
        // The header each record must have, length and stamp in one word, kept up to date with adds: the stamp's
        // sum grows by the same amount from one record to the next. With stamp()'s multiplies and two compares per
        // record this walk took 14% of a 32-byte write's time (perfasm, 2026-11-29).
        long sum = stampSum(lap, o);
        long grow = step * STAMP_OFFSET_FACTOR;
        long lowBits = (low & 0xFFFF_FFFFL) | 1L << 32; // stamp() sets bit 0 of the top half
        while (o < end) {
            if (HotMemory.getLong(b, base + o + REC_LEN_OFFSET) != (sum & 0xFFFF_FFFF_0000_0000L | lowBits)) {
                break;
            }
            o += step;
            sum += grow;
        }
        return o;
    }

    /** Closes lap {@code lap} from {@code off} on: zero bytes, then their count and the lap's tag in one word. */
    private void pad(ByteBuffer b, long lap, int off) {
        int old = slotBase(lap);
        int pad = subbufSize - off;
        if (pad == 0 && (int) ((long) LONG.getAcquire(b, old + SB_CLOSE_OFFSET) >>> 32) == (int) (lap + 1)) {
            return; // closed already when a refused write marked it full: keep the padding it recorded
        }
        if (pad > 0 && lap >= nSubbufs) {
            zero(b, old + off, pad);
        }
        // Release: whoever sees this lap's tag sees the zeroed padding (lapDone, readers of the padding).
        LONG.setRelease(b, old + SB_CLOSE_OFFSET, closeWord(lap, pad));
    }

    void publish(ByteBuffer b, int at, int len, int flag) {
        // Release: the payload is visible before the length without BUSY says it is complete.
        HotMemory.putIntRelease(b, at + REC_LEN_OFFSET, len | flag);
    }

    private int slotBase(long lap) {
        return FILE_HEADER_SIZE + ((int) lap & (nSubbufs - 1)) * subbufSize;
    }

    private static void zero(ByteBuffer b, int at, int len) {
        while (len > 0) {
            int n = Math.min(len, ZEROS.length);
            b.put(at, ZEROS, 0, n);
            at += n;
            len -= n;
        }
    }

    /**
     * Closes the open sub-buffer of file {@code file} unless it is empty: 0, -EAGAIN or -EBUSY. A private file is
     * closed only by its owner, or by anyone once its owner ended (made the owner for the time of the flush);
     * while another live thread owns it, or when the files belong to another JVM's writers, it stays open (0):
     * writing into it would race with the owner's plain stores. Readers read an open sub-buffer as well.
     */
    int flush(int file) {
        ByteBuffer b = files[file];
        Thread me = Thread.currentThread();
        if (file < shards) {
            return advance(b, file, 0, FLUSH, me);
        }
        if (privates == null) {
            return 0;
        }
        RelayPrivateFile f = privates[file - shards];
        if (f.owner() == me) {
            return advance(b, file, 0, FLUSH, me);
        }
        if (!f.takeIfFree(me)) {
            return 0;
        }
        try {
            return advance(b, file, 0, FLUSH, me);
        } finally {
            f.release();
        }
    }

    /** The thread that owns the private file of shard {@code shard}, or null (it may have ended since). */
    Thread owner(int shard) {
        return privates == null ? null : privates[shard].owner();
    }
}
