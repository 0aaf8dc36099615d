package dev.sonde.maps;

/**
 * A {@code BPF_LINK_TYPE_STRUCT_OPS} link: registers a READY {@link StructOpsMap#F_LINK} map into its subsystem and
 * lets a new map replace it atomically, as {@code bpf_link_update()}: callers switch from the old callbacks to the
 * new ones with no call on the defaults in between, and {@link #update} returns once no call is still inside the
 * old ones. The link holds a reference on its map; {@link #detach()} (or {@link #close()}) unregisters and drops it.
 */
public final class StructOpsLink implements AutoCloseable {
    /** The linked map, null once detached; guarded by this. */
    private StructOpsMap map;

    private StructOpsLink(StructOpsMap map) {
        this.map = map;
    }

    /**
     * {@code bpf_link_create()} on a struct_ops map: registers it. Control plane; throws EINVAL for a map that is
     * not an updated F_LINK map of this JVM and EBUSY when the subsystem already has a registration.
     */
    public static StructOpsLink create(BpfMap m) {
        if (!(m instanceof StructOpsMap) || !((StructOpsMap) m).validToReg()) {
            throw new SondeException(Errno.EINVAL, "map '" + m.name() + "' cannot be linked: link a struct_ops map "
                    + "created with StructOpsMap.F_LINK, after its update(0, value) made it READY");
        }
        StructOpsMap sm = (StructOpsMap) m;
        sm.retain();
        int err = sm.structOpsType().reg(sm, sm.readyCallbacks());
        if (err != 0) {
            sm.release();
            throw new SondeException(-err, "cannot register map '" + sm.name() + "' into " + sm.structOpsName() + ": "
                    + Errno.name(err) + (err == -Errno.EBUSY ? "; detach the registration in place, or replace it with "
                    + "StructOpsLink.update(map)" : "; fill every mandatory slot"));
        }
        sm.linked(true);
        return new StructOpsLink(sm);
    }

    /** The linked map, or null after {@link #detach()}. */
    public synchronized StructOpsMap map() {
        return map;
    }

    /** {@code bpf_link_update()}: replaces the linked map with {@code next}; 0 or a negative errno. */
    public int update(StructOpsMap next) {
        return update(next, null);
    }

    /**
     * {@code bpf_link_update()} with {@code BPF_F_REPLACE}: replaces the linked map with {@code next} only if it is
     * {@code expectedOld} (null: any). 0; -EINVAL when {@code next} is not READY or is of another subsystem;
     * -ENOLINK after detach; -EPERM when the linked map is not {@code expectedOld}.
     */
    public synchronized int update(StructOpsMap next, StructOpsMap expectedOld) {
        if (next == null || !next.validToReg()) {
            return -Errno.EINVAL;
        }
        if (map == null) {
            return -Errno.ENOLINK;
        }
        if (expectedOld != null && expectedOld != map) {
            return -Errno.EPERM;
        }
        if (next.structOpsType() != map.structOpsType()) {
            return -Errno.EINVAL;
        }
        next.retain();
        int err = map.structOpsType().update(map, next, next.readyCallbacks());
        if (err != 0) {
            next.release();
            return err;
        }
        StructOpsMap old = map;
        map = next;
        old.linked(false);
        next.linked(true);
        old.release();
        return 0;
    }

    /** Unregisters: callers fall back to the defaults once this returns; 0, also when already detached. */
    public synchronized int detach() {
        if (map == null) {
            return 0;
        }
        StructOpsMap old = map;
        map = null;
        old.structOpsType().unreg(old);
        old.linked(false);
        old.release();
        return 0;
    }

    @Override
    public void close() {
        detach();
    }
}
