package dev.sonde.maps;

import static dev.sonde.maps.RelayLayout.*;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The relay map: the kernel's relay channels as the {@code BPF_MAP_TYPE_RELAY} proposal wraps them. Each shard
 * writes to its own file {@code <sonde dir>/<pid>/relay/<base>#<shard>} of {@code nSubbufs} sub-buffers of
 * {@code subbufSize} bytes ({@code map_extra}, see {@link MapSpec#subbufSize()}), laid out as {@link RelayLayout}.
 *
 * <p>Writers ({@link #reserve}/{@link #commit}, {@link #output}) use the calling thread's shard, claim space with
 * one CAS on that shard's write position and never wait: a full buffer fails the write at once. With
 * {@link MapSpec#F_RELAY_OVERWRITE} the oldest sub-buffer is reused instead (the flight recorder), unless a
 * writer is still inside it, which drops the new write with -EBUSY rather than tear the old one.
 *
 * <p>Key/value calls follow the proposal, where an update names the files: the map is a one-element array (key 4
 * bytes, index 0) whose value is the base name of the shard files, UTF-8, zero padded to 64 bytes.
 * {@code update} renames the files; {@code lookup} reads the name; {@code delete} is -EINVAL as for arrays.
 */
public final class RelayMap extends BpfMap {
    private static final VarHandle LONG = MapMemory.LONG;
    private static final VarHandle INT = MapMemory.INT;
    private static final int OFFSET_MASK = HANDLE_TAG - 1;
    private static final byte[] ZEROS = new byte[4096];

    private final ByteBuffer[] shards;
    /**
     * Per shard, how far a walk of {@link #lapDone} got: {@code (lap + 1) << 32 | offset}. Records before that
     * offset were committed and stay so until the slot is reused, so a retry resumes there instead of walking a
     * whole sub-buffer again on every write refused while a writer is still inside.
     */
    private final AtomicLongArray walked;
    private final RelayNames names;
    private final int numShards;
    private final int subbufSize;
    private final int subbufShift;
    private final int nSubbufs;
    private final int maxPayload;
    private final boolean overwrite;
    private final boolean coarseClock;
    /** Only the JVM that made the files deletes them; a relay opened from its map file never does. */
    private final boolean owner;

    /** A new relay: creates and zero-fills one file per shard. */
    RelayMap(MapSpec spec, int id, MapFile file) {
        super(spec, id, file, false);
        this.numShards = spec.numShards();
        this.subbufSize = spec.subbufSize();
        this.subbufShift = Integer.numberOfTrailingZeros(subbufSize);
        this.nSubbufs = spec.nSubbufs();
        this.maxPayload = subbufSize - SUBBUF_HEADER_SIZE - RECORD_HEADER_SIZE;
        this.overwrite = spec.hasFlag(MapSpec.F_RELAY_OVERWRITE);
        this.coarseClock = spec.hasFlag(MapSpec.F_RELAY_COARSE_CLOCK);
        this.owner = true;
        this.names = new RelayNames(this, file, SondeDir.relayDir());
        if (coarseClock) {
            RelayClock.start();
        }
        names.writeBase(spec.name(), 0);
        this.shards = new ByteBuffer[numShards];
        this.walked = new AtomicLongArray(numShards);
        // One clock base for all shards, so their timestamps compare exactly when merged.
        long clockBase = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
        try {
            for (int i = 0; i < numShards; i++) {
                shards[i] = RelayFile.create(names.shardPath(i), subbufSize, nSubbufs, i, numShards,
                        (overwrite ? FLAG_OVERWRITE : 0) | (coarseClock ? FLAG_COARSE_CLOCK : 0), id, clockBase);
            }
        } catch (RuntimeException e) {
            names.deleteFiles();
            throw e;
        }
    }

    /** A relay from its map file, in another process or after its JVM died; its shard files sit in {@code ../relay}. */
    RelayMap(MapSpec spec, MapFile file, boolean readOnly) {
        super(spec, file.id(), file, readOnly);
        this.numShards = spec.numShards();
        this.subbufSize = spec.subbufSize();
        this.subbufShift = Integer.numberOfTrailingZeros(subbufSize);
        this.nSubbufs = spec.nSubbufs();
        this.maxPayload = subbufSize - SUBBUF_HEADER_SIZE - RECORD_HEADER_SIZE;
        this.overwrite = spec.hasFlag(MapSpec.F_RELAY_OVERWRITE);
        this.coarseClock = spec.hasFlag(MapSpec.F_RELAY_COARSE_CLOCK);
        this.owner = false;
        this.names = new RelayNames(this, file, file.path().toAbsolutePath().getParent().resolveSibling("relay"));
        this.shards = new ByteBuffer[numShards];
        this.walked = new AtomicLongArray(numShards);
        for (int i = 0; i < numShards; i++) {
            Path p = names.shardPath(i);
            shards[i] = RelayFile.open(p, !readOnly);
            if (shards[i].getInt(SUBBUF_SIZE_OFFSET) != subbufSize || shards[i].getInt(N_SUBBUFS_OFFSET) != nSubbufs
                    || shards[i].getInt(SHARD_OFFSET) != i) {
                throw new SondeException(Errno.EINVAL, "relay file " + p + " does not belong to map '" + name()
                        + "' (its geometry or shard number differs from the map file's); remove the stray file");
            }
        }
        if (coarseClock && !readOnly) {
            RelayClock.start();
        }
    }

    // ---- writers: allocation-free, lock-free, never waiting ---------------------------------------------------

    /**
     * Reserves a record of {@code size} payload bytes in the calling thread's shard: a handle for
     * {@link #putLong}/{@link #putInt}/{@link #putBytes} and {@link #commit}, or -E2BIG (larger than a sub-buffer
     * holds), -EAGAIN (no-overwrite buffer full), -EBUSY (the sub-buffer to reuse still has a writer in it),
     * -EPERM (opened read-only). Failures other than -E2BIG and -EPERM are counted as dropped.
     */
    public long reserve(int size) {
        if (readOnly) {
            return -Errno.EPERM;
        }
        if (size < 0 || size > maxPayload) {
            return -Errno.E2BIG;
        }
        int shard = Shards.current(numShards);
        int at = claim(shards[shard], size);
        return at < 0 ? at : ((long) shard << 32) | HANDLE_TAG | (at + RECORD_HEADER_SIZE);
    }

    /** Publishes a reserved record; 0, or -EINVAL for a handle that is not a pending reservation. */
    public int commit(long handle) {
        return finish(handle, 0);
    }

    /** Gives a reservation up: readers skip it. 0 or -EINVAL, as {@link #commit}. */
    public int discard(long handle) {
        return finish(handle, DISCARD);
    }

    /** Writes {@code data} as one record: 0 or the errors of {@link #reserve}. */
    public int output(byte[] data) {
        return output(data, 0, data.length);
    }

    public int output(byte[] data, int off, int len) {
        if (readOnly) {
            return -Errno.EPERM;
        }
        if (len < 0 || len > maxPayload) {
            return -Errno.E2BIG;
        }
        ByteBuffer b = shards[Shards.current(numShards)];
        int at = claim(b, len);
        if (at < 0) {
            return at;
        }
        b.put(at + RECORD_HEADER_SIZE, data, off, len);
        publish(b, at, len, 0);
        return 0;
    }

    /** Writes the remaining bytes of {@code data} as one record, leaving its position alone. */
    public int output(ByteBuffer data) {
        if (readOnly) {
            return -Errno.EPERM;
        }
        int len = data.remaining();
        if (len > maxPayload) {
            return -Errno.E2BIG;
        }
        ByteBuffer b = shards[Shards.current(numShards)];
        int at = claim(b, len);
        if (at < 0) {
            return at;
        }
        b.put(at + RECORD_HEADER_SIZE, data, data.position(), len);
        publish(b, at, len, 0);
        return 0;
    }

    @Override
    public long getLong(long handle, int offset) {
        return (long) LONG.get(shards[(int) (handle >>> 32)], ((int) handle & OFFSET_MASK) + offset);
    }

    @Override
    public int getInt(long handle, int offset) {
        return (int) INT.get(shards[(int) (handle >>> 32)], ((int) handle & OFFSET_MASK) + offset);
    }

    // Plain stores: commit()'s release store publishes them.
    @Override
    public void putLong(long handle, int offset, long value) {
        LONG.set(shards[(int) (handle >>> 32)], ((int) handle & OFFSET_MASK) + offset, value);
    }

    @Override
    public void putInt(long handle, int offset, int value) {
        INT.set(shards[(int) (handle >>> 32)], ((int) handle & OFFSET_MASK) + offset, value);
    }

    public void putBytes(long handle, int offset, byte[] src) {
        putBytes(handle, offset, src, 0, src.length);
    }

    public void putBytes(long handle, int offset, byte[] src, int srcOff, int len) {
        shards[(int) (handle >>> 32)].put(((int) handle & OFFSET_MASK) + offset, src, srcOff, len);
    }

    /**
     * Claims {@code recordSize(size)} bytes in shard {@code b} and writes the record header (BUSY); returns the
     * header's offset in the file or a negative errno. Only the common case, a record that fits the open
     * sub-buffer, is here, small enough to inline into every writer.
     */
    private int claim(ByteBuffer b, int size) {
        int need = recordSize(size);
        long now = coarseClock ? RelayClock.now() : System.nanoTime();
        for (;;) {
            // Acquire: pairs with the CAS that made this position, so the lap it started is set up for us.
            long p = (long) LONG.getAcquire(b, POS_OFFSET);
            long lap = (p - 1) >>> subbufShift;
            int off = (int) (p - (lap << subbufShift));
            if (off + need > subbufSize) {
                return claimNext(b, size, need, now);
            }
            if (LONG.compareAndSet(b, POS_OFFSET, p, p + need)) {
                return header(b, lap, off, size, now);
            }
        }
    }

    /** The record does not fit the open sub-buffer: start the next one (or refuse), as relay_switch_subbuf(). */
    private int claimNext(ByteBuffer b, int size, int need, long now) {
        for (;;) {
            long p = (long) LONG.getAcquire(b, POS_OFFSET);
            long lap = (p - 1) >>> subbufShift;
            int off = (int) (p - (lap << subbufShift));
            if (off + need <= subbufSize) {
                // Someone else switched meanwhile and the record fits the new sub-buffer.
                if (LONG.compareAndSet(b, POS_OFFSET, p, p + need)) {
                    return header(b, lap, off, size, now);
                }
                continue;
            }
            long next = lap + 1;
            int err = checkStart(b, next);
            if (err != 0) {
                if (err == -Errno.EAGAIN && off < subbufSize) {
                    // As relay.c marks a full buffer: the tail is closed before we report the refusal, so
                    // smaller records cannot slip in after it and the buffer keeps exactly the first records.
                    if (!LONG.compareAndSet(b, POS_OFFSET, p, (lap << subbufShift) + subbufSize)) {
                        continue;
                    }
                    pad(b, lap, off);
                }
                LONG.getAndAdd(b, DROPPED_OFFSET, 1L);
                return err;
            }
            if (LONG.compareAndSet(b, POS_OFFSET, p, (next << subbufShift) + SUBBUF_HEADER_SIZE + need)) {
                switchSubbuf(b, lap, off, next, now);
                return header(b, next, SUBBUF_HEADER_SIZE, size, now);
            }
        }
    }

    /** Writes the header of a record just claimed at {@code off} in lap {@code lap}; returns its file offset. */
    private int header(ByteBuffer b, long lap, int off, int size, long now) {
        int at = slotBase(lap) + off;
        LONG.set(b, at + REC_TIME_OFFSET, now);
        // Length (BUSY) and stamp in one 8-byte store: a reader never pairs this lap's stamp with an old
        // lap's length. Release: the timestamp is in place before the header names the record.
        LONG.setRelease(b, at + REC_LEN_OFFSET, (long) stamp(lap, off) << 32 | ((size | BUSY) & 0xFFFF_FFFFL));
        return at;
    }

    /** Whether lap {@code next} may start: 0, -EAGAIN (no-overwrite and not consumed) or -EBUSY (writer inside). */
    private int checkStart(ByteBuffer b, long next) {
        long prev = next - nSubbufs;
        if (prev < 0) {
            return 0;
        }
        // Acquire: the reader's release of these sub-buffers happens before we write into them.
        if (!overwrite && prev >= (long) LONG.getAcquire(b, CONSUMED_OFFSET)) {
            return -Errno.EAGAIN;
        }
        return lapDone(b, shardOf(b), prev) ? 0 : -Errno.EBUSY;
    }

    /**
     * Whether every claim of closed lap {@code lap} is committed or discarded, so its slot may be reused: a walk
     * over its record headers on each switch (amortised, one header read per record) instead of an atomic
     * counter on each commit, which keeps commit a plain release store.
     */
    private boolean lapDone(ByteBuffer b, int shard, long lap) {
        int base = slotBase(lap);
        // Acquire: the padding zeroed before the close word was set is in place.
        long close = (long) LONG.getAcquire(b, base + SB_CLOSE_OFFSET);
        if ((int) (close >>> 32) != (int) (lap + 1)) {
            return false;
        }
        int end = subbufSize - (int) close;
        long hint = walked.get(shard);
        int o = (int) (hint >>> 32) == (int) (lap + 1) ? (int) hint : SUBBUF_HEADER_SIZE;
        while (o < end) {
            // One 8-byte read, so length and stamp come from the same store. Acquire: each writer's payload
            // stores happen before we overwrite its bytes.
            long header = (long) LONG.getAcquire(b, base + o + REC_LEN_OFFSET);
            int h = (int) header;
            if ((int) (header >>> 32) != stamp(lap, o) || (h & BUSY) != 0) {
                walked.lazySet(shard, (lap + 1) << 32 | o);
                return false;
            }
            o += recordSize(h & LEN_MASK);
        }
        return o == end;
    }

    private int shardOf(ByteBuffer b) {
        return b.getInt(SHARD_OFFSET);
    }

    /** Closes lap {@code lap} at {@code off} with zero padding and starts lap {@code next}; the caller won the CAS. */
    private void switchSubbuf(ByteBuffer b, long lap, int off, long next, long now) {
        pad(b, lap, off);
        int nw = slotBase(next);
        LONG.set(b, nw + SB_START_OFFSET, now);
        // Release: a reader that sees the new seq sees the lap's start time.
        LONG.setRelease(b, nw + SB_SEQ_OFFSET, next + 1);
        if (next >= nSubbufs && overwrite) {
            LONG.getAndAdd(b, OVERWRITTEN_OFFSET, 1L);
        }
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

    private int finish(long handle, int flag) {
        int shard = (int) (handle >>> 32);
        int at = ((int) handle & OFFSET_MASK) - RECORD_HEADER_SIZE;
        if (handle < 0 || shard >= numShards || ((int) handle & HANDLE_TAG) == 0
                || at < FILE_HEADER_SIZE + SUBBUF_HEADER_SIZE || at + RECORD_HEADER_SIZE > shards[shard].capacity()) {
            return -Errno.EINVAL;
        }
        ByteBuffer b = shards[shard];
        int hdr = (int) INT.get(b, at + REC_LEN_OFFSET);
        if ((hdr & BUSY) == 0) {
            return -Errno.EINVAL;
        }
        publish(b, at, hdr & LEN_MASK, flag);
        return 0;
    }

    private void publish(ByteBuffer b, int at, int len, int flag) {
        // Release: the payload is visible before the length without BUSY says it is complete.
        INT.setRelease(b, at + REC_LEN_OFFSET, len | flag);
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

    // ---- control -------------------------------------------------------------------------------------------

    /**
     * {@code relay_flush()}: closes every shard's open sub-buffer (zero padding) so {@code cat} and readers see
     * whole sub-buffers. 0, or the first shard's error (-EAGAIN: no-overwrite buffer full; -EBUSY).
     */
    public int relayFlush() {
        if (readOnly) {
            return -Errno.EPERM;
        }
        int err = 0;
        long now = coarseClock ? RelayClock.now() : System.nanoTime();
        for (ByteBuffer b : shards) {
            int r = flushShard(b, now);
            if (r < 0 && err == 0) {
                err = r;
            }
        }
        publishTotals();
        return err;
    }

    /** Copies the shards' counters into the map file, for tools that read only {@code maps/<name>}. */
    private void publishTotals() {
        long bytes = 0;
        for (ByteBuffer b : shards) {
            bytes += (long) LONG.getAcquire(b, POS_OFFSET);
        }
        // Release: a tool that reads the byte count sees counters at least as new.
        LONG.setRelease(mem, MAP_OVERWRITTEN_OFFSET, overwritten());
        LONG.setRelease(mem, MAP_DROPPED_OFFSET, dropped());
        LONG.setRelease(mem, MAP_BYTES_OFFSET, bytes);
    }

    private int flushShard(ByteBuffer b, long now) {
        for (;;) {
            long p = (long) LONG.getAcquire(b, POS_OFFSET);
            long lap = (p - 1) >>> subbufShift;
            int off = (int) (p - (lap << subbufShift));
            if (off == SUBBUF_HEADER_SIZE) {
                return 0;
            }
            int err = checkStart(b, lap + 1);
            if (err != 0) {
                return err;
            }
            if (LONG.compareAndSet(b, POS_OFFSET, p, ((lap + 1) << subbufShift) + SUBBUF_HEADER_SIZE)) {
                switchSubbuf(b, lap, off, lap + 1, now);
                return 0;
            }
        }
    }

    /**
     * {@code relay_subbufs_consumed()}: a reader releases {@code count} more of {@code shard}'s oldest sub-buffers
     * so a no-overwrite relay can reuse them. 0, or -EINVAL past the open sub-buffer.
     */
    public int subbufsConsumed(int shard, long count) {
        if (readOnly) {
            return -Errno.EPERM;
        }
        if (shard < 0 || shard >= numShards || count < 0) {
            return -Errno.EINVAL;
        }
        ByteBuffer b = shards[shard];
        for (;;) {
            long c = (long) LONG.getAcquire(b, CONSUMED_OFFSET);
            long open = lapOf((long) LONG.getAcquire(b, POS_OFFSET), subbufSize);
            if (c + count > open) {
                return -Errno.EINVAL;
            }
            if (LONG.compareAndSet(b, CONSUMED_OFFSET, c, c + count)) {
                return 0;
            }
        }
    }

    /**
     * Copies a consistent image of every shard into {@code dir} (files {@code <base>#<n>}) while writers go on:
     * each sub-buffer is either whole or left out. The copy reads with {@link RelayReader}.
     */
    public void snapshot(Path dir) {
        SondeDir.ensureDir(dir);
        if (!readOnly) {
            publishTotals();
        }
        String base = names.base();
        for (int i = 0; i < numShards; i++) {
            RelaySnapshot.copy(shards[i], dir.resolve(fileName(base, i)));
        }
    }

    // ---- key/value calls: the files' base name, as the proposal's update ----------------------------------

    @Override
    public int lookup(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        if (RelayNames.index(key) != 0) {
            return -Errno.ENOENT;
        }
        names.baseBytes(value);
        return 0;
    }

    /** Renames the shard files to the base name in {@code value}: 0, -E2BIG, -EEXIST, -EINVAL or -EPERM. */
    @Override
    public int update(byte[] key, byte[] value, long flags) {
        checkKey(key);
        checkValue(value);
        // The order of arraymap.c behind the syscall's write-permission check.
        if (readOnly) {
            return -Errno.EPERM;
        }
        if (flags > EXIST) {
            return -Errno.EINVAL;
        }
        if (RelayNames.index(key) != 0) {
            return -Errno.E2BIG;
        }
        if (flags == NOEXIST) {
            return -Errno.EEXIST;
        }
        return names.rename(value);
    }

    @Override
    public int delete(byte[] key) {
        checkKey(key);
        return -Errno.EINVAL;
    }

    @Override
    public int getNextKey(byte[] keyOrNull, byte[] nextKey) {
        checkNextKey(keyOrNull, nextKey);
        if (keyOrNull != null && RelayNames.index(keyOrNull) == 0) {
            return -Errno.ENOENT;
        }
        java.util.Arrays.fill(nextKey, (byte) 0);
        return 0;
    }

    // ---- introspection ---------------------------------------------------------------------------------------

    /** The base name of the shard files. */
    public String baseName() {
        return names.base();
    }

    /** Shard {@code n}'s file. */
    public Path shardPath(int shard) {
        return names.shardPath(shard);
    }

    public int numShards() { return numShards; }
    public int subbufSize() { return subbufSize; }
    public int nSubbufs() { return nSubbufs; }
    public boolean overwrite() { return overwrite; }
    /** Largest payload one record can carry. */
    public int maxRecordSize() { return maxPayload; }

    /** Sub-buffers reused before they were read, all shards. */
    public long overwritten() {
        return sum(OVERWRITTEN_OFFSET);
    }

    /** Writes refused (buffer full, or sub-buffer still held), all shards. */
    public long dropped() {
        return sum(DROPPED_OFFSET);
    }

    private long sum(int offset) {
        long s = 0;
        for (ByteBuffer b : shards) {
            s += (long) LONG.getAcquire(b, offset);
        }
        return s;
    }

    ByteBuffer shardBuffer(int shard) {
        return shards[shard];
    }

    @Override
    public long memoryBytes() {
        return super.memoryBytes() + (long) numShards * fileSize(subbufSize, nSubbufs);
    }

    @Override
    protected void onFree() {
        if (owner && !pinned()) {
            names.deleteFiles();
        }
    }
}
