package dev.sonde.maps;

import static dev.sonde.maps.StructOpsLayout.*;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * {@code BPF_MAP_TYPE_STRUCT_OPS}, as {@code kernel/bpf/bpf_struct_ops.c}: one 4-byte key (0), one value that is a
 * set of callbacks registered into a {@link StructOpsType} subsystem named by {@link MapSpec#structOps()}.
 *
 * <p>As libbpf fills a {@code struct_ops} map's function pointers with programs before
 * {@code bpf_map__attach_struct_ops()}, the Java callbacks are attached first with
 * {@link #setCallback(String, Object, int)}; the value handed to {@code update} then names, per slot, the id of
 * the program behind it (0 leaves an optional slot to its default), and {@link #attach()} builds that value.
 * <ul>
 *   <li>{@code update(0, value, 0)} registers: INIT → INUSE; -EBUSY when this map was registered before or another
 *       map holds the subsystem; -EINVAL for flags, a non-zero state/refcnt, a mandatory slot left empty or a
 *       program id that is not the one attached; -EBADF for an id in a slot with no callback; -E2BIG for key ≠ 0.</li>
 *   <li>{@code delete} unregisters: INUSE → TOBEFREE, callers fall back to the defaults, and the call returns once
 *       no caller can still be inside this map's callbacks; -ENOENT when never registered, -EINPROGRESS when
 *       already unregistered. Like the kernel it ignores the key. A map is registered once in its life.</li>
 *   <li>{@code lookup(0)} shows refcnt, state and the program ids ({@link StructOpsLayout}); all zero in INIT.</li>
 * </ul>
 * With {@link #F_LINK} the update only validates and makes the map READY; {@link StructOpsLink} registers it,
 * replaces it atomically and unregisters it, and delete gives -EOPNOTSUPP, as for the kernel's link-based maps.
 * The registration holds a reference on the map, so closing the map does not unregister it; delete does.
 * Opened from its file, the map reads the same value; update and delete give -EPERM there, since the callbacks
 * live in the JVM that made the map.
 */
public final class StructOpsMap extends BpfMap {
    /**
     * {@code BPF_F_LINK}: update only makes the map READY; a {@link StructOpsLink} registers it, and
     * {@link StructOpsLink#update} replaces it with another READY map without a moment on the defaults.
     */
    public static final long F_LINK = 1L << 13;

    static final MapFactory FACTORY = new MapFactory() {
        @Override
        public void validate(MapSpec spec) {
            String what = ArrayMap.what(spec);
            // bpf_struct_ops_map_alloc_check(): one u32 key, one entry, no flags Sonde knows, a value type.
            if (spec.keySize() != 4 || spec.maxEntries() != 1) {
                throw new SondeException(Errno.EINVAL, what + ": key_size " + spec.keySize() + " and max_entries "
                        + spec.maxEntries() + " must be 4 and 1; use StructOpsType.mapSpec(name)");
            }
            if ((spec.flags() & ~F_LINK) != 0) {
                throw new SondeException(Errno.EINVAL, what + ": flags 0x" + Long.toHexString(spec.flags() & ~F_LINK)
                        + " are not valid for a struct_ops map; pass no flags, or StructOpsMap.F_LINK");
            }
            if (spec.structOps() == null) {
                throw new SondeException(Errno.EINVAL, what + " names no subsystem; set MapSpec.Builder.structOps(name)"
                        + " or build the spec with StructOpsType.mapSpec(name)");
            }
            StructOpsType<?> type = StructOpsType.byName(spec.structOps());
            if (type == null) {
                // bpf_struct_ops_find_value() found nothing: -ENOTSUPP, as the kernel.
                throw new SondeException(Errno.ENOTSUPP, what + ": no struct_ops subsystem '" + spec.structOps()
                        + "' is registered; load the class that defines it (e.g. SamplingPolicy) first");
            }
            if (spec.valueSize() != type.valueSize()) {
                throw new SondeException(Errno.EINVAL, what + ": value_size " + spec.valueSize() + " does not match "
                        + type.name() + "'s " + type.valueSize() + " bytes; use StructOpsType.mapSpec(name)");
            }
        }

        @Override
        public long dataSize(MapSpec spec) {
            return spec.valueSize();
        }

        @Override
        public BpfMap create(MapSpec spec, int id, MapFile file) {
            StructOpsType<?> type = StructOpsType.byName(spec.structOps());
            StructOpsLayout.writeDescription(file.buffer(), type);
            return new StructOpsMap(spec, id, file, false, type);
        }

        @Override
        public BpfMap open(MapSpec spec, MapFile file, boolean readOnly) {
            String typeName = StructOpsLayout.typeName(file.buffer());
            if (file.valueSize() != StructOpsLayout.valueSize(StructOpsLayout.slotCount(file.buffer()))) {
                throw new SondeException(Errno.EINVAL, "map file " + file.path() + " describes "
                        + StructOpsLayout.slotCount(file.buffer()) + " slots but a " + file.valueSize()
                        + "-byte value; the file is damaged, recreate the map");
            }
            return new StructOpsMap(spec.toBuilder().structOps(typeName).build(), file.id(), file, readOnly, null);
        }
    };

    private static final int VALUE = MapHeaderLayout.DATA_OFFSET;
    private static final VarHandle BYTES_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** The subsystem; null for a map opened from its file, which only reads. */
    private final StructOpsType<?> type;
    private final int nSlots;
    /** The attached callbacks and their program ids, per slot; guarded by this. */
    private final Object[] callbacks;
    private final int[] progIds;
    /** F_LINK: the callbacks the update chose, for the links that register them; guarded by this. */
    private Object[] ready;

    private StructOpsMap(MapSpec spec, int id, MapFile file, boolean readOnly, StructOpsType<?> type) {
        super(spec, id, file, readOnly);
        this.type = type;
        this.nSlots = StructOpsLayout.slotCount(file.buffer());
        this.callbacks = new Object[nSlots];
        this.progIds = new int[nSlots];
    }

    /** The subsystem's name, read from the file. */
    public String structOpsName() {
        return StructOpsLayout.typeName(mem);
    }

    /** The subsystem, or null for a map opened from its file. */
    public StructOpsType<?> structOpsType() {
        return type;
    }

    public int slotCount() {
        return nSlots;
    }

    /** Slot {@code i}'s name, read from the file. */
    public String slotName(int i) {
        return StructOpsLayout.slotName(mem, i);
    }

    public boolean slotMandatory(int i) {
        return StructOpsLayout.slotMandatory(mem, i);
    }

    /** The slot called {@code name}, or -1. */
    public int slotIndex(String name) {
        for (int i = 0; i < nSlots; i++) {
            if (slotName(i).equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** {@link StructOpsLayout#STATE_INIT}, {@code INUSE} or {@code TOBEFREE}. */
    public int state() {
        // Acquire: pairs with update's release, so the program ids read after it are the registered ones.
        return (int) MapMemory.INT.getAcquire(mem, VALUE + STATE);
    }

    /**
     * Attaches {@code impl} (an instance of the slot's functional interface) as the callback of {@code slot},
     * implemented by program {@code progId} (> 0); the value given to {@code update} must then name that id.
     * Control plane: refused once the map is registered.
     */
    public synchronized StructOpsMap setCallback(String slot, Object impl, int progId) {
        if (type == null) {
            throw new SondeException(Errno.EPERM, "map '" + name() + "' was opened from its file; attach callbacks"
                    + " in the JVM that created it");
        }
        int i = type.slotIndex(slot);
        if (i < 0) {
            throw new SondeException(Errno.EINVAL, "struct_ops " + type.name() + " has no slot '" + slot
                    + "'; its slots are " + type.slots());
        }
        StructOpsType.Slot s = type.slot(i);
        if (!s.type().isInstance(impl)) {
            throw new SondeException(Errno.EINVAL, "slot '" + slot + "' of " + type.name() + " takes a "
                    + s.type().getName() + ", got " + impl + "; pass an implementation of that interface");
        }
        if (progId <= 0) {
            throw new SondeException(Errno.EINVAL, "slot '" + slot + "': program id " + progId
                    + " must be > 0; pass the id of the program implementing the callback");
        }
        if (state() != STATE_INIT) {
            throw new SondeException(Errno.EBUSY, "map '" + name() + "' is " + stateName(state())
                    + "; its callbacks cannot change: create a new map and register it instead");
        }
        callbacks[i] = impl;
        progIds[i] = progId;
        return this;
    }

    /** The value that registers the attached callbacks: zero refcnt and state, each slot's program id or 0. */
    public synchronized byte[] value() {
        byte[] v = new byte[valueSize()];
        for (int i = 0; i < nSlots; i++) {
            putInt(v, progIdOffset(i), progIds[i]);
        }
        return v;
    }

    /** {@code bpf_map__attach_struct_ops()}: {@code update(0, value(), 0)}. */
    public int attach() {
        return update(new byte[4], value(), ANY);
    }

    /** Unregisters: {@code delete(0)}. */
    public int detach() {
        return delete(new byte[4]);
    }

    // ---- syscall-style calls -------------------------------------------------------------------------------

    @Override
    public int lookup(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        if (WordCopy.index(key) != 0) {
            return -Errno.ENOENT;
        }
        int state = state();
        if (state == STATE_INIT) {
            Arrays.fill(value, (byte) 0);
            return 0;
        }
        WordCopy.fromMemory(mem, VALUE, value, 0, valueSize());
        // As the kernel, state and refcnt are read apart: an estimate, not a snapshot of both.
        putInt(value, STATE, state);
        // Acquire: pairs with delete's release of 0, so refcnt 0 comes with TOBEFREE.
        long refs = (int) MapMemory.INT.getAcquire(mem, VALUE + REFCNT);
        if (type != null && type.registered() == this) {
            refs += type.callsInside();
        }
        putInt(value, REFCNT, (int) Math.min(Integer.MAX_VALUE, refs));
        return 0;
    }

    @Override
    public int update(byte[] key, byte[] value, long flags) {
        checkKey(key);
        checkValue(value);
        if (readOnly || type == null) {
            return -Errno.EPERM;
        }
        // bpf_struct_ops_map_update_elem(), in its order: flags, key, the value's common part, then the state.
        if (flags != 0) {
            return -Errno.EINVAL;
        }
        if (WordCopy.index(key) != 0) {
            return -Errno.E2BIG;
        }
        if (getInt(value, REFCNT) != 0 || getInt(value, STATE) != 0) {
            return -Errno.EINVAL;
        }
        for (int i = progIdOffset(nSlots); i < value.length; i++) {
            if (value[i] != 0) {
                return -Errno.EINVAL; // check_zero_holes(): padding must be zero
            }
        }
        synchronized (this) {
            if (state() != STATE_INIT) {
                return -Errno.EBUSY;
            }
            Object[] chosen = new Object[nSlots];
            for (int i = 0; i < nSlots; i++) {
                int id = getInt(value, progIdOffset(i));
                if (id == 0) {
                    continue;
                }
                if (callbacks[i] == null) {
                    return -Errno.EBADF;
                }
                if (id != progIds[i]) {
                    return -Errno.EINVAL;
                }
                chosen[i] = callbacks[i];
            }
            if (spec.hasFlag(F_LINK)) {
                // As the kernel: validate now, register later through a link.
                int err = type.validate(chosen);
                if (err != 0) {
                    return err;
                }
                ready = chosen;
                writeProgIds(chosen);
                // Release: a reader that sees READY sees the program ids.
                MapMemory.INT.setRelease(mem, VALUE + STATE, STATE_READY);
                return 0;
            }
            // The subsystem's reference, taken before callers can reach the callbacks (the kernel's bpf_map_inc).
            retain();
            int err = type.reg(this, chosen);
            if (err != 0) {
                release();
                return err;
            }
            writeProgIds(chosen);
            // Opaque: the state's release store below publishes it.
            MapMemory.INT.setOpaque(mem, VALUE + REFCNT, 1);
            // Release: a reader (another process too) that sees INUSE sees the program ids and refcnt above.
            MapMemory.INT.setRelease(mem, VALUE + STATE, STATE_INUSE);
            return 0;
        }
    }

    private void writeProgIds(Object[] chosen) {
        for (int i = 0; i < nSlots; i++) {
            // Opaque: whole words; the release store of the state that follows orders them for readers.
            MapMemory.INT.setOpaque(mem, VALUE + progIdOffset(i), chosen[i] == null ? 0 : progIds[i]);
        }
    }

    @Override
    public int delete(byte[] key) {
        checkKey(key);
        if (readOnly || type == null) {
            return -Errno.EPERM;
        }
        if (spec.hasFlag(F_LINK)) {
            return -Errno.EOPNOTSUPP; // a link owns the registration: detach the link
        }
        // bpf_struct_ops_map_delete_elem() ignores the key. CAS: of two deletes, exactly one unregisters.
        int prev = (int) MapMemory.INT.compareAndExchange(mem, VALUE + STATE, STATE_INUSE, STATE_TOBEFREE);
        switch (prev) {
            case STATE_INUSE:
                type.unreg(this);
                // Release: a reader that sees refcnt 0 sees TOBEFREE too.
                MapMemory.INT.setRelease(mem, VALUE + REFCNT, 0);
                release();
                return 0;
            case STATE_TOBEFREE:
                return -Errno.EINPROGRESS;
            default:
                return -Errno.ENOENT;
        }
    }

    @Override
    public int getNextKey(byte[] keyOrNull, byte[] nextKey) {
        checkNextKey(keyOrNull, nextKey);
        // bpf_struct_ops_map_get_next_key(): 0 is the only key.
        if (keyOrNull != null && WordCopy.index(keyOrNull) == 0) {
            return -Errno.ENOENT;
        }
        WordCopy.putIndex(nextKey, 0);
        return 0;
    }

    @Override
    public long lookupElem(long key) {
        // bpf_struct_ops_map_lookup_elem(): programs cannot read a struct_ops value.
        return -Errno.EINVAL;
    }

    /** The program id behind slot {@code i} as the file shows it (0 in INIT or for an empty slot). */
    public int progId(int i) {
        if (i < 0 || i >= nSlots) {
            throw new SondeException(Errno.EINVAL, "map '" + name() + "' has slots 0.." + (nSlots - 1) + ", not " + i
                    + "; use slotIndex(name)");
        }
        // Opaque after state()'s acquire: the id is the one written before the state was published.
        return state() == STATE_INIT ? 0 : (int) MapMemory.INT.getOpaque(mem, VALUE + progIdOffset(i));
    }

    private static int getInt(byte[] b, int offset) {
        return (int) BYTES_INT.get(b, offset);
    }

    private static void putInt(byte[] b, int offset, int v) {
        BYTES_INT.set(b, offset, v);
    }

    // ---- for StructOpsLink ------------------------------------------------------------------------------------

    /** bpf_struct_ops_valid_to_reg(): an F_LINK map of this JVM in state READY. */
    boolean validToReg() {
        return type != null && spec.hasFlag(F_LINK) && state() == STATE_READY;
    }

    synchronized Object[] readyCallbacks() {
        return ready;
    }

    /** Mirrors in the file whether a link holds the map (its refcnt). */
    void linked(boolean linked) {
        // Release: as every refcnt store, so lookup's acquire read pairs with it.
        MapMemory.INT.setRelease(mem, VALUE + REFCNT, linked ? 1 : 0);
    }

    @Override
    protected synchronized void onFree() {
        // Only reachable unregistered: a registration holds a reference. Drop the callbacks (put_progs).
        Arrays.fill(callbacks, null);
        ready = null;
    }
}
