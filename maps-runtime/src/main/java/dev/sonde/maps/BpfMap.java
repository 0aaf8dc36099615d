package dev.sonde.maps;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A map: the syscall-style calls of libbpf's {@code bpf_map_*} with {@code byte[]} keys and values, and the
 * allocation-free typed accessors programs call on every instrumented invocation.
 *
 * <p>Data-plane calls return {@code 0} or a negative {@link Errno} and never throw; a key or value array of the
 * wrong length is control-plane misuse and throws {@link SondeException}. A type that does not support a call
 * returns {@code -ENOTSUPP} from it, as the kernel's ringbuf does for key/value calls.
 *
 * <p>Typed accessors follow {@code bpf_map_lookup_elem()}'s pointer: {@link #lookupElem(long)} returns a
 * <em>handle</em> (a byte offset into the map's memory, ≥ 0) or a negative errno, and {@link #getLong},
 * {@link #addLong} and friends read and write a field at an offset inside that value. For per-shard maps the
 * handle points into the calling thread's shard. A handle stays valid while its element exists; like the
 * kernel's preallocated hash, a deleted element's slot may be reused.
 *
 * <p>Life cycle: the creator holds one reference, {@link #close()} drops it; programs and outer maps take their
 * own with {@link #retain()}. When the last goes the map leaves the registry and its file is removed, unless it
 * was {@linkplain #pin() pinned}.
 */
public abstract class BpfMap implements AutoCloseable {
    /** Update flags, as {@code BPF_ANY}, {@code BPF_NOEXIST}, {@code BPF_EXIST}, {@code BPF_F_LOCK}. */
    public static final long ANY = 0;
    public static final long NOEXIST = 1;
    public static final long EXIST = 2;
    public static final long F_LOCK = 4;

    private static final VarHandle REFS;
    private static final VarHandle CLOSED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            REFS = l.findVarHandle(BpfMap.class, "refs", int.class);
            CLOSED = l.findVarHandle(BpfMap.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    protected final MapSpec spec;
    protected final int id;
    protected final MapFile file;
    /** The whole mapped file; handles are absolute offsets into it. */
    protected final ByteBuffer mem;
    protected final boolean readOnly;
    private volatile int refs = 1;
    private volatile boolean closed;
    private volatile boolean pinned;

    /**
     * @param spec the spec, with its final name
     * @param id   the registry id, or the id read from the file for an opened map
     * @param file the mapped file
     * @param readOnly true for a map opened from another process without write access
     */
    protected BpfMap(MapSpec spec, int id, MapFile file, boolean readOnly) {
        this.spec = spec;
        this.id = id;
        this.file = file;
        this.mem = file.buffer();
        this.readOnly = readOnly;
    }

    public final int id() { return id; }
    public final String name() { return spec.name(); }
    public final MapType type() { return spec.type(); }
    public final int keySize() { return spec.keySize(); }
    public final int valueSize() { return spec.valueSize(); }
    public final int maxEntries() { return spec.maxEntries(); }
    public final long flags() { return spec.flags(); }
    public final long mapExtra() { return spec.mapExtra(); }
    public final MapSpec spec() { return spec; }
    /** The map's file under the Sonde directory. */
    public final Path path() { return file.path(); }
    public final boolean readOnly() { return readOnly; }
    /** Bytes of memory the map holds, as bpftool's {@code memlock}. */
    public long memoryBytes() { return file.buffer().capacity(); }

    /** Bytes a {@code byte[]} value must have for lookup/update: {@code valueSize}, or one 8-byte-rounded slot per shard. */
    public int valueBufferSize() {
        return spec.type().perShard() ? MapMemory.roundUp8(spec.valueSize()) * spec.numShards() : spec.valueSize();
    }

    // ---- syscall-style calls -------------------------------------------------------------------------------

    /** Copies the value of {@code key} into {@code value}: 0, or -ENOENT. */
    public int lookup(byte[] key, byte[] value) {
        return -Errno.ENOTSUPP;
    }

    /** Inserts or replaces {@code key}'s value according to {@code flags} ({@link #ANY}, {@link #NOEXIST}, {@link #EXIST}). */
    public int update(byte[] key, byte[] value, long flags) {
        return -Errno.ENOTSUPP;
    }

    public int delete(byte[] key) {
        return -Errno.ENOTSUPP;
    }

    /** The key after {@code keyOrNull} (the first key for null) into {@code nextKey}: 0, or -ENOENT after the last. */
    public int getNextKey(byte[] keyOrNull, byte[] nextKey) {
        return -Errno.ENOTSUPP;
    }

    /** Looks up and deletes in one step, as {@code BPF_MAP_LOOKUP_AND_DELETE_ELEM}. */
    public int lookupAndDelete(byte[] key, byte[] value) {
        return -Errno.ENOTSUPP;
    }

    // ---- typed, allocation-free accessors for programs ------------------------------------------------------

    /** The handle of {@code key}'s value (in this thread's shard for per-shard maps), or -ENOENT. */
    public long lookupElem(long key) {
        return -Errno.ENOTSUPP;
    }

    /** As {@link #lookupElem}, but a missing key is first inserted with a zeroed value (bpftrace's {@code @x[k]++}). */
    public long lookupOrInitElem(long key) {
        return lookupElem(key);
    }

    /**
     * For map-in-map: the inner map stored at {@code key}, or null. Programs call this on every invocation, so
     * implementations allocate nothing.
     */
    public BpfMap lookupMap(long key) {
        return null;
    }

    // Not final: a relay's handles address its shard files, not the map file, so it supplies its own; arrays and
    // hashes (ValueMap) check the handle once and then access their memory unchecked (HotMemory), and a ringbuf
    // checks handles before its unchecked stores.
    // Plain reads, as a BPF program's load through the pointer lookup returned: an aligned word is one access
    // (never torn), and no ordering is owed (with the opaque read this replaced, an array lookup+get measured
    // 3.6 ns; now 2.1 ns, benchmarks/README.md). A program that must observe another
    // thread's store in a loop pairs addLong with lookups, not spins here.
    public long getLong(long handle, int offset) {
        return mem.getLong((int) handle + offset);
    }

    public int getInt(long handle, int offset) {
        return mem.getInt((int) handle + offset);
    }

    public void putLong(long handle, int offset, long value) {
        MapMemory.LONG.setOpaque(mem, (int) handle + offset, value);
    }

    public void putInt(long handle, int offset, int value) {
        MapMemory.INT.setOpaque(mem, (int) handle + offset, value);
    }

    /** Atomically adds {@code delta} (as {@code __sync_fetch_and_add}) and returns the previous value. */
    public long addLong(long handle, int offset, long delta) {
        return (long) MapMemory.LONG.getAndAdd(mem, (int) handle + offset, delta);
    }

    public int addInt(long handle, int offset, int delta) {
        return (int) MapMemory.INT.getAndAdd(mem, (int) handle + offset, delta);
    }

    /**
     * {@code lookupOrInitElem(key)} then an atomic add of {@code delta} at {@code offset}: bpftrace's
     * {@code @m[key] += delta}. Returns 0 or a negative errno (-E2BIG when a full hash has no room for the key).
     */
    public final int incrementLong(long key, int offset, long delta) {
        long h = lookupOrInitElem(key);
        if (h < 0) {
            return (int) h;
        }
        addLong(h, offset, delta); // the type's own add, which checks offset where its memory access does not
        return 0;
    }

    /**
     * The {@code long} at {@code offset} of {@code key}'s value, or {@code missing} when {@link #lookupElem} finds
     * none (the key is absent, or any other errno it gives): a read by key, bpftrace's {@code @m[key]}, what
     * {@code ConcurrentHashMap.getOrDefault} is to a Java map. The value found is read with {@link #getLong}'s
     * checks. One call where a program would make two: a hash of 8- or 4-byte keys reads the value where its probe
     * found the key, without handing on a handle to be checked (benchmarks/README.md, "Maps", stop 24).
     *
     * <p>A typed access, with the semantics of a BPF program's load through the pointer a lookup gave: while another
     * thread deletes the key and inserts another into the same slot, the value read may be the newcomer's, as in the
     * kernel's preallocated hash. The syscall-style {@link #lookup(byte[], byte[])} never returns such a value.
     */
    public long lookupLong(long key, int offset, long missing) {
        long h = lookupElem(key);
        return h < 0 ? missing : getLong(h, offset);
    }

    // ---- map-in-map -----------------------------------------------------------------------------------------

    /**
     * Whether {@code candidate} may stand where this map is the inner-map template ({@code bpf_map_meta_equal}).
     * A type that can be an inner map overrides this; the default refuses with -ENOTSUPP's exception.
     */
    public boolean metaEqual(BpfMap candidate) {
        throw new SondeException(Errno.ENOTSUPP, "a " + type().bpftoolName() + " map cannot be an inner map; use an "
                + "array or hash map as the template");
    }

    /** What {@code bpf_map_meta_equal()} compares: type, key and value size, flags. */
    protected final boolean baseMetaEqual(BpfMap candidate) {
        return candidate.type() == type() && candidate.keySize() == keySize() && candidate.valueSize() == valueSize()
                && candidate.flags() == flags();
    }

    // ---- argument checks ------------------------------------------------------------------------------------

    protected final void checkKey(byte[] key) {
        if (key == null || key.length != spec.keySize()) {
            throw new SondeException(Errno.EINVAL, "map '" + name() + "': key must be " + spec.keySize() + " bytes, got "
                    + (key == null ? "null" : key.length + " bytes") + "; pass a byte[" + spec.keySize() + "]");
        }
    }

    protected final void checkValue(byte[] value) {
        int want = valueBufferSize();
        if (value == null || value.length != want) {
            throw new SondeException(Errno.EINVAL, "map '" + name() + "': value must be " + want + " bytes, got "
                    + (value == null ? "null" : value.length + " bytes") + "; pass a byte[" + want + "]"
                    + (spec.type().perShard() ? " (one 8-byte-rounded value per shard)" : ""));
        }
    }

    /** For getNextKey: the current key may be null; the next-key buffer must have the key size. */
    protected final void checkNextKey(byte[] keyOrNull, byte[] nextKey) {
        if (keyOrNull != null) {
            checkKey(keyOrNull);
        }
        checkKey(nextKey);
    }

    // ---- life cycle -----------------------------------------------------------------------------------------

    /** Takes a reference (a program or outer map holding this map); throws if the map is already freed. */
    public final BpfMap retain() {
        for (;;) {
            int r = refs;
            if (r <= 0) {
                throw new SondeException(Errno.EBADF, "map '" + name() + "' (id " + id + ") is already freed; create it again");
            }
            // CAS, not getAndAdd: a map whose count reached 0 must never come back to life.
            if (REFS.compareAndSet(this, r, r + 1)) {
                return this;
            }
        }
    }

    /** Drops a reference; the last one frees the map. */
    public final void release() {
        if ((int) REFS.getAndAdd(this, -1) == 1) {
            free();
        }
    }

    public final int refCount() {
        return refs;
    }

    /** Drops the creator's reference, once; the map lives on while others hold references. */
    @Override
    public final void close() {
        if (CLOSED.compareAndSet(this, false, true)) {
            release();
        }
    }

    public final boolean isFreed() {
        return refs <= 0;
    }

    /** Keeps the map file in place after the map is freed, for {@code sonde map dump --dir} and other processes. */
    public final void pin() {
        pinned = true;
    }

    /**
     * Pins the map at {@code target} too: a hard link to the map file, so the data outlives this JVM at a path of
     * the caller's choosing, as {@code bpftool map pin} does in bpffs.
     */
    public final void pin(Path target) {
        pinned = true;
        try {
            SondeDir.ensureDir(target.toAbsolutePath().getParent());
            Files.createLink(target, file.path());
        } catch (IOException | UnsupportedOperationException e) {
            throw new SondeException(Errno.EPERM, "cannot pin map '" + name() + "' at " + target + ": " + e
                    + "; pick a path on the same file system as the Sonde directory", e);
        }
    }

    public final boolean pinned() {
        return pinned;
    }

    private void free() {
        onFree();
        // Only the JVM that created the map owns its file; a map opened from a file (another process, the CLI)
        // is never in this registry and never deletes what it did not make.
        if (MapRegistry.byId(id) == this) {
            MapRegistry.remove(this);
            if (!pinned) {
                file.delete();
                MapFile.deleteQuietly(MapMetadata.metadataPath(file.path()));
            }
        }
    }

    /** A type's last words: release inner maps, unregister callbacks, delete extra files. */
    protected void onFree() {
    }

    @Override
    public String toString() {
        return id + ": " + type().bpftoolName() + "  name " + name() + "  key " + keySize() + "B  value " + valueSize()
                + "B  max_entries " + maxEntries() + "  flags 0x" + Long.toHexString(flags());
    }
}
