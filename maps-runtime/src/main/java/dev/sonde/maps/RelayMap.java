package dev.sonde.maps;

import static dev.sonde.maps.RelayLayout.*;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The relay map: the kernel's relay channels as the {@code BPF_MAP_TYPE_RELAY} proposal wraps them. Each shard
 * writes to its own file {@code <sonde dir>/<pid>/relay/<base>#<shard>} of {@code nSubbufs} sub-buffers of
 * {@code subbufSize} bytes ({@code map_extra}, see {@link MapSpec#subbufSize()}), laid out as {@link RelayLayout}.
 *
 * <p>Writers ({@link #reserve}/{@link #commit}, {@link #output}) use the calling thread's shard, claim space with
 * one CAS on that shard's write position and never wait: a full buffer fails the write at once. With
 * {@link MapSpec#F_RELAY_PRIVATE_SHARDS} a thread that fills a whole sub-buffer of its shard alone gets a file of
 * its own, {@code <base>#<numShards + shard>}, which it writes without the CAS (see {@link RelayWriter}). With
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

    private final ByteBuffer[] shards;
    private final RelayWriter writer;
    private final RelayNames names;
    private final int numShards;
    private final int subbufSize;
    private final int nSubbufs;
    private final int maxPayload;
    private final boolean overwrite;
    private final boolean coarseClock;
    /** Only the JVM that made the files deletes them; a relay opened from its map file never does. */
    private final boolean owner;

    /** A new relay: creates and zero-fills one file per shard (and a private one per shard, if asked). */
    RelayMap(MapSpec spec, int id, MapFile file) {
        this(spec, id, file, false, true);
    }

    /** A relay from its map file, in another process or after its JVM died; its shard files sit in {@code ../relay}. */
    RelayMap(MapSpec spec, MapFile file, boolean readOnly) {
        this(spec, file.id(), file, readOnly, false);
    }

    private RelayMap(MapSpec spec, int id, MapFile file, boolean readOnly, boolean create) {
        super(spec, id, file, readOnly);
        this.numShards = spec.numShards();
        this.subbufSize = spec.subbufSize();
        this.nSubbufs = spec.nSubbufs();
        this.maxPayload = subbufSize - SUBBUF_HEADER_SIZE - RECORD_HEADER_SIZE;
        this.overwrite = spec.hasFlag(MapSpec.F_RELAY_OVERWRITE);
        this.coarseClock = spec.hasFlag(MapSpec.F_RELAY_COARSE_CLOCK);
        this.owner = create;
        this.names = new RelayNames(this, file, create ? SondeDir.relayDir()
                : file.path().toAbsolutePath().getParent().resolveSibling("relay"));
        this.shards = new ByteBuffer[numFiles(spec)];
        boolean privateShards = spec.hasFlag(MapSpec.F_RELAY_PRIVATE_SHARDS);
        if (create) {
            createFiles(id, privateShards);
        } else {
            openFiles(readOnly);
        }
        // An opened relay never hands private files over: this JVM cannot see whether another JVM's owner threads
        // are alive.
        this.writer = readOnly ? null : new RelayWriter(shards, numShards, subbufSize, nSubbufs, overwrite,
                coarseClock, create && privateShards);
    }

    private void createFiles(int id, boolean privateShards) {
        names.writeBase(name(), 0);
        // One clock base for all shards, so their timestamps compare exactly when merged.
        long clockBase = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
        int flags = (overwrite ? FLAG_OVERWRITE : 0) | (coarseClock ? FLAG_COARSE_CLOCK : 0)
                | (privateShards ? FLAG_PRIVATE_SHARDS : 0);
        try {
            for (int i = 0; i < shards.length; i++) {
                shards[i] = RelayFile.create(names.shardPath(i), subbufSize, nSubbufs, i, numShards, flags, id,
                        clockBase);
            }
        } catch (RuntimeException e) {
            names.deleteFiles();
            throw e;
        }
    }

    private void openFiles(boolean readOnly) {
        for (int i = 0; i < shards.length; i++) {
            Path p = names.shardPath(i);
            shards[i] = RelayFile.open(p, !readOnly);
            if (shards[i].getInt(SUBBUF_SIZE_OFFSET) != subbufSize || shards[i].getInt(N_SUBBUFS_OFFSET) != nSubbufs
                    || shards[i].getInt(SHARD_OFFSET) != i) {
                throw new SondeException(Errno.EINVAL, "relay file " + p + " does not belong to map '" + name()
                        + "' (its geometry or shard number differs from the map file's); remove the stray file");
            }
        }
    }

    /** The map's files: one per shard, and with {@link MapSpec#F_RELAY_PRIVATE_SHARDS} a private one per shard. */
    static int numFiles(MapSpec spec) {
        return spec.numShards() * (spec.hasFlag(MapSpec.F_RELAY_PRIVATE_SHARDS) ? 2 : 1);
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
        long r = writer.claim(size); // file << 32 | header offset
        return r < 0 ? r : r + (HANDLE_TAG + RECORD_HEADER_SIZE);
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
        // Before the claim: an exception after it would leave a record BUSY, and its sub-buffer unusable.
        Objects.checkFromIndexSize(off, len, data.length);
        return writer.output(data, off, len);
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
        long r = writer.claim(len);
        if (r < 0) {
            return (int) r;
        }
        ByteBuffer b = shards[(int) (r >>> 32)];
        int at = (int) r;
        b.put(at + RECORD_HEADER_SIZE, data, data.position(), len);
        writer.publish(b, at, len, 0);
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

    /**
     * Plain stores: commit()'s release store publishes them. A store outside the reserved record is ignored, as
     * the kernel's verifier would refuse it: it would otherwise break the next record's header.
     */
    @Override
    public void putLong(long handle, int offset, long value) {
        int at = payloadAt(handle);
        ByteBuffer b = at < 0 ? null : shards[(int) (handle >>> 32)];
        if (at >= 0 && inRecord(b, at, offset, 8)) {
            LONG.set(b, at + offset, value);
        }
    }

    @Override
    public void putInt(long handle, int offset, int value) {
        int at = payloadAt(handle);
        ByteBuffer b = at < 0 ? null : shards[(int) (handle >>> 32)];
        if (at >= 0 && inRecord(b, at, offset, 4)) {
            INT.set(b, at + offset, value);
        }
    }

    /** Copies {@code src} into the reserved record at {@code offset}: 0, or -EINVAL outside the record. */
    public int putBytes(long handle, int offset, byte[] src) {
        return putBytes(handle, offset, src, 0, src.length);
    }

    /** Copies {@code len} bytes of {@code src} into the reserved record: 0, or -EINVAL outside it or {@code src}. */
    public int putBytes(long handle, int offset, byte[] src, int srcOff, int len) {
        int at = payloadAt(handle);
        if (at < 0) {
            return -Errno.EINVAL;
        }
        ByteBuffer b = shards[(int) (handle >>> 32)];
        if (!inRecord(b, at, offset, len) || srcOff < 0 || len > src.length - srcOff) {
            return -Errno.EINVAL;
        }
        HotCopy.copy(b, at + offset, src, srcOff, len);
        return 0;
    }

    /**
     * Whether {@code [offset, offset + len)} lies inside the payload at {@code at}, per its (own) header, and inside
     * the file: a made-up handle's "header" may claim any length, and {@link HotCopy#copy} does not check.
     */
    private static boolean inRecord(ByteBuffer b, int at, int offset, int len) {
        int size = HotMemory.getInt(b, at - RECORD_HEADER_SIZE + REC_LEN_OFFSET) & LEN_MASK;
        return offset >= 0 && len >= 0 && offset <= size - len && (long) at + offset + len <= b.capacity();
    }

    /**
     * The payload offset a handle names when it can name one: a tagged handle of one of our shards whose record
     * header lies inside that shard's file, past the headers before the first record. Else -1. Everything that
     * reads or writes through a caller's handle checks it here first, since {@link HotMemory} does not.
     */
    private int payloadAt(long handle) {
        int shard = (int) (handle >>> 32);
        int at = (int) handle & OFFSET_MASK;
        if (handle < 0 || shard >= shards.length || ((int) handle & HANDLE_TAG) == 0
                || at < FILE_HEADER_SIZE + SUBBUF_HEADER_SIZE + RECORD_HEADER_SIZE || at > shards[shard].capacity()) {
            return -1;
        }
        return at;
    }

    private int finish(long handle, int flag) {
        if (readOnly) {
            return -Errno.EPERM;
        }
        int payload = payloadAt(handle);
        if (payload < 0) {
            return -Errno.EINVAL;
        }
        ByteBuffer b = shards[(int) (handle >>> 32)];
        int at = payload - RECORD_HEADER_SIZE;
        int hdr = HotMemory.getInt(b, at + REC_LEN_OFFSET);
        if ((hdr & BUSY) == 0) {
            return -Errno.EINVAL;
        }
        writer.publish(b, at, hdr & LEN_MASK, flag);
        return 0;
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
        for (int i = 0; i < shards.length; i++) {
            int r = writer.flush(i);
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

    /**
     * {@code relay_subbufs_consumed()}: a reader releases {@code count} more of {@code shard}'s oldest sub-buffers
     * so a no-overwrite relay can reuse them. 0, or -EINVAL past the open sub-buffer.
     */
    public int subbufsConsumed(int shard, long count) {
        if (readOnly) {
            return -Errno.EPERM;
        }
        if (shard < 0 || shard >= shards.length || count < 0) {
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
        snapshot(dir, (file, shard) -> { });
    }

    /** {@link #snapshot(Path)}, telling {@code copied} each shard's file as soon as it is written (for progress). */
    public void snapshot(Path dir, java.util.function.ObjIntConsumer<Path> copied) {
        SondeDir.ensureDir(dir);
        if (!readOnly) {
            publishTotals();
        }
        String base = names.base();
        for (int i = 0; i < shards.length; i++) {
            Path file = dir.resolve(fileName(base, i));
            RelaySnapshot.copy(shards[i], file);
            copied.accept(file, i);
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

    /** File {@code n}: shard {@code n}'s, or for {@code n >= numShards()} the private file of shard {@code n - numShards()}. */
    public Path shardPath(int shard) {
        return names.shardPath(shard);
    }

    public int numShards() { return numShards; }
    /** The map's files: {@link #numShards()}, twice that with {@link MapSpec#F_RELAY_PRIVATE_SHARDS}. */
    public int numFiles() { return shards.length; }
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

    /** The thread that owns shard {@code shard}'s private file, or null (none, or not this JVM's files). */
    Thread privateOwner(int shard) {
        return writer == null ? null : writer.owner(shard);
    }

    ByteBuffer shardBuffer(int shard) {
        return shards[shard];
    }

    @Override
    public long memoryBytes() {
        return super.memoryBytes() + (long) shards.length * fileSize(subbufSize, nSubbufs);
    }

    @Override
    protected void onFree() {
        if (writer != null) {
            writer.close();
        }
        if (owner && !pinned()) {
            names.deleteFiles();
        }
    }
}
