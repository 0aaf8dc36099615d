package dev.sonde.maps;

/**
 * {@code BPF_MAP_TYPE_HASH_OF_MAPS}: the hash table of {@link HashTable} whose 4-byte values are inner-map ids,
 * with the references kept by {@link InnerMaps}, one per table slot. Updates and deletes are control plane and
 * serialised on this map, so that an id in the file and the reference beside it change together; lookups,
 * {@link #lookupMap(long)} above all, stay lock-free and allocation-free. Swap inner maps under
 * {@link #gracePeriod()} as {@link ArrayOfMaps} explains. Opened from its file, the map shows ids only.
 */
public final class HashOfMaps extends BpfMap {
    static final MapFactory FACTORY = new MapFactory() {
        @Override
        public void validate(MapSpec spec) {
            // htab_of_map_alloc(): the value is one u32 (an fd in, an id out), then the hash's own checks.
            if (spec.valueSize() != 4) {
                throw new SondeException(Errno.EINVAL, "map '" + (spec.name() == null ? "hash_of_maps" : spec.name())
                        + "': value_size is " + spec.valueSize() + " but map-in-map values are 4-byte map ids; "
                        + "set valueSize(4)");
            }
            HashFactory.INSTANCE.validate(spec);
            InnerMaps.checkTemplate(spec);
        }

        @Override
        public long dataSize(MapSpec spec) {
            return HashFactory.INSTANCE.dataSize(spec);
        }

        @Override
        public BpfMap create(MapSpec spec, int id, MapFile file) {
            HashFactory.format(spec, file);
            return new HashOfMaps(spec, id, file, false, true);
        }

        @Override
        public BpfMap open(MapSpec spec, MapFile file, boolean readOnly) {
            HashFactory.checkFormat(spec, file);
            return new HashOfMaps(spec, file.id(), file, readOnly, false);
        }
    };

    private final HashTable table;
    private final int slotSize;
    private final boolean typedKeys;
    /** Null for a map opened from its file: the references live in the JVM that made it. */
    private final InnerMaps inner;

    private HashOfMaps(MapSpec spec, int id, MapFile file, boolean readOnly, boolean owner) {
        super(spec, id, file, readOnly);
        this.table = new HashTable(mem, spec.keySize(), spec.maxEntries(), false, 0);
        this.slotSize = mem.getInt(HashLayout.SLOT_SIZE_OFFSET);
        this.typedKeys = spec.keySize() == 8 || spec.keySize() == 4;
        this.inner = owner ? new InnerMaps(spec.innerMap(), table.capacity(), mem) : null;
    }

    /** The grace period to enter around uses of an inner map; null for a map opened from its file. */
    public GracePeriod gracePeriod() {
        return inner == null ? null : inner.gracePeriod();
    }

    private int slot(int off) {
        return (off - MapHeaderLayout.DATA_OFFSET) / slotSize;
    }

    @Override
    public int lookup(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        if (!ArrayMap.canRead(this)) {
            return -Errno.EPERM;
        }
        return table.lookup(key, value);
    }

    /** bpf_fd_htab_map_update_elem(): the inner map is checked first (-EBADF, -EINVAL), then the hash's rules. */
    @Override
    public synchronized int update(byte[] key, byte[] value, long flags) {
        checkKey(key);
        checkValue(value);
        if (!ArrayMap.canWrite(this) || inner == null) {
            return -Errno.EPERM;
        }
        int id = (int) WordCopy.index(value);
        int r = inner.check(id);
        if (r != 0) {
            return r;
        }
        long f = flags & ~F_LOCK;
        if (f < 0 || f > EXIST || (flags & F_LOCK) != 0) {
            return -Errno.EINVAL;
        }
        byte[] old = new byte[4];
        boolean existed = table.lookup(key, old) == 0;
        int off = table.update(key, 0, value, f);
        if (off < 0) {
            return off;
        }
        r = inner.put(slot(off), off + table.valueOffset(), id);
        if (r != 0) {
            // The inner map was freed since the check: put the element back as it was.
            if (existed) {
                table.update(key, 0, old, EXIST);
            } else {
                table.delete(key, 0, null);
            }
        }
        return r;
    }

    @Override
    public synchronized int delete(byte[] key) {
        checkKey(key);
        if (!ArrayMap.canWrite(this) || inner == null) {
            return -Errno.EPERM;
        }
        int off = table.find(table.hash(key, 0), key, 0);
        if (off < 0) {
            return -Errno.ENOENT;
        }
        int r = table.delete(key, 0, null);
        if (r == 0) {
            // Writers are serialised here, so the freed slot cannot be claimed before its reference goes.
            inner.remove(slot(off), off + table.valueOffset());
        }
        return r;
    }

    @Override
    public int getNextKey(byte[] keyOrNull, byte[] nextKey) {
        checkNextKey(keyOrNull, nextKey);
        if (!ArrayMap.canRead(this)) {
            return -Errno.EPERM;
        }
        return table.getNextKey(keyOrNull, nextKey);
    }

    /** As the kernel's map_lookup_and_delete_elem for a map-in-map: not supported. */
    @Override
    public int lookupAndDelete(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        return ArrayMap.canRead(this) && ArrayMap.canWrite(this) ? -Errno.ENOTSUPP : -Errno.EPERM;
    }

    /** The inner map stored under a 4- or 8-byte key, or null: lock-free and allocation-free. */
    @Override
    public BpfMap lookupMap(long key) {
        if (inner == null || !typedKeys) {
            return null;
        }
        int off = table.findLong(key);
        return off < 0 ? null : inner.get(slot(off));
    }

    @Override
    public boolean metaEqual(BpfMap candidate) {
        throw InnerMaps.nestingRefused(this);
    }

    @Override
    protected void onFree() {
        if (inner != null) {
            inner.releaseAll();
        }
    }
}
