package dev.sonde.maps;

/**
 * {@code BPF_MAP_TYPE_ARRAY_OF_MAPS}, as {@code kernel/bpf/arraymap.c}'s fd arrays: 4-byte index keys, 4-byte
 * values that are map ids (the kernel's values are fds going in and ids coming out; Sonde has ids only).
 * Created from an inner-map template ({@link MapSpec#innerMap()}); an update takes a reference on the inner
 * map, and replacing, deleting or freeing the outer map releases it. Memory: {@link ArrayLayout} with one u32
 * id per 8-byte element, plus an in-heap table of the inner {@link BpfMap} objects so that
 * {@link #lookupMap(long)} allocates nothing. Opened from its file (another process), the map shows ids only.
 *
 * <p><b>Swapping without losing increments.</b> A program that does {@code inner = outer.lookupMap(k)} and then
 * {@code inner.addLong(...)} may be preempted between the two while another thread swaps a fresh map in and
 * drains the old one: its add would land in a map already drained. The protocol, RCU's, closes that window:
 * <pre>
 *   program:  int t = outer.gracePeriod().enter();       swapper:  outer.update(k, fresh.id(), ANY);
 *             BpfMap m = outer.lookupMap(k);                       outer.gracePeriod().synchronize();
 *             m.addLong(m.lookupElem(i), 0, 1);                    drain(old); old.release();
 *             outer.gracePeriod().exit(t);
 * </pre>
 * The swapper keeps its own reference on the old map ({@code retain()} before the update) so that it can drain it.
 */
public final class ArrayOfMaps extends BpfMap {
    static final MapFactory FACTORY = new MapFactory() {
        @Override
        public void validate(MapSpec spec) {
            String what = ArrayMap.what(spec);
            // fd_array_map_alloc_check(): the value is one u32, and programs cannot read or write it directly.
            if (spec.valueSize() != 4) {
                throw new SondeException(Errno.EINVAL, what + ": value_size is " + spec.valueSize()
                        + " but map-in-map values are 4-byte map ids; set valueSize(4)");
            }
            ArrayMap.checkArraySpec(spec, ArrayMap.F_NUMA_NODE | MapSpec.F_RDONLY | MapSpec.F_WRONLY);
            InnerMaps.checkTemplate(spec);
        }

        @Override
        public long dataSize(MapSpec spec) {
            return ArrayLayout.dataSize(spec);
        }

        @Override
        public BpfMap create(MapSpec spec, int id, MapFile file) {
            return new ArrayOfMaps(spec, id, file, false, new InnerMaps(spec.innerMap(), spec.maxEntries(), file.buffer()));
        }

        @Override
        public BpfMap open(MapSpec spec, MapFile file, boolean readOnly) {
            return new ArrayOfMaps(spec, file.id(), file, readOnly, null);
        }
    };

    private final int entries;
    private final int elemSize;
    /** Null for a map opened from its file: the references live in the JVM that made it. */
    private final InnerMaps inner;

    private ArrayOfMaps(MapSpec spec, int id, MapFile file, boolean readOnly, InnerMaps inner) {
        super(spec, id, file, readOnly);
        this.entries = spec.maxEntries();
        this.elemSize = ArrayLayout.elemSize(spec.valueSize());
        this.inner = inner;
        if (ArrayLayout.elemOffset(0, entries, entries, spec.valueSize()) > file.buffer().capacity()) {
            throw new SondeException(Errno.EINVAL, "map file " + file.path() + " is smaller than its " + entries
                    + " elements; the file is damaged, recreate the map");
        }
    }

    private int idOffset(long index) {
        return MapHeaderLayout.DATA_OFFSET + (int) index * elemSize;
    }

    /** The grace period to enter around uses of an inner map; null for a map opened from its file. */
    public GracePeriod gracePeriod() {
        return inner == null ? null : inner.gracePeriod();
    }

    @Override
    public int lookup(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        if (!ArrayMap.canRead(this)) {
            return -Errno.EPERM;
        }
        long index = WordCopy.index(key);
        if (index >= entries) {
            return -Errno.ENOENT;
        }
        // Acquire: pairs with InnerMaps.put's release of the id.
        int id = (int) MapMemory.INT.getAcquire(mem, idOffset(index));
        if (id == 0) {
            return -Errno.ENOENT;
        }
        WordCopy.putIndex(value, id);
        return 0;
    }

    @Override
    public int update(byte[] key, byte[] value, long flags) {
        checkKey(key);
        checkValue(value);
        if (!ArrayMap.canWrite(this) || inner == null) {
            return -Errno.EPERM;
        }
        // bpf_fd_array_map_update_elem(): only BPF_ANY, then the index, then the inner map.
        if (flags != ANY) {
            return -Errno.EINVAL;
        }
        long index = WordCopy.index(key);
        if (index >= entries) {
            return -Errno.E2BIG;
        }
        return inner.put((int) index, idOffset(index), (int) WordCopy.index(value));
    }

    @Override
    public int delete(byte[] key) {
        checkKey(key);
        if (!ArrayMap.canWrite(this) || inner == null) {
            return -Errno.EPERM;
        }
        long index = WordCopy.index(key);
        if (index >= entries) {
            return -Errno.E2BIG;
        }
        return inner.remove((int) index, idOffset(index));
    }

    @Override
    public int getNextKey(byte[] keyOrNull, byte[] nextKey) {
        checkNextKey(keyOrNull, nextKey);
        return ArrayMap.nextIndex(this, keyOrNull, nextKey, entries);
    }

    @Override
    public int lookupAndDelete(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        return ArrayMap.canRead(this) && ArrayMap.canWrite(this) ? -Errno.ENOTSUPP : -Errno.EPERM;
    }

    @Override
    public BpfMap lookupMap(long key) {
        if (Long.compareUnsigned(key, entries) >= 0 || inner == null) {
            return null;
        }
        return inner.get((int) key);
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
