package dev.sonde.maps;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * What {@code ARRAY_OF_MAPS} and {@code HASH_OF_MAPS} share: the inner-map template check
 * ({@code bpf_map_meta_alloc}), the table of inner-map references kept beside the ids in the map file, and the
 * reference each occupied slot holds ({@code bpf_map_fd_get_ptr} / {@code bpf_map_fd_put_ptr}).
 *
 * <p>A slot is whatever the outer type indexes its values by (an array index, a hash element number); the
 * outer map also says where in its file the slot's 4-byte id lives, so other processes read ids from the file.
 * Updates are control plane and serialised on this object so that the id in the file and the reference in the
 * table always change together; {@link #get(int)} is lock-free and allocation-free for programs.
 *
 * <p>A replaced or deleted inner map is released at once; a program that looked it up just before keeps using
 * memory that stays mapped until the garbage collector reclaims it, so nothing crashes, but increments made
 * after a drain would be lost: swap under a {@link GracePeriod} (see {@link ArrayOfMaps}).
 */
public final class InnerMaps {
    private static final VarHandle REFS = MethodHandles.arrayElementVarHandle(BpfMap[].class);

    private final BpfMap template;
    private final BpfMap[] refs;
    private final ByteBuffer mem;
    private final GracePeriod gracePeriod = new GracePeriod();

    /**
     * @param template the checked template ({@link #checkTemplate(MapSpec)})
     * @param slots    number of slots
     * @param mem      the outer map's memory, where ids are mirrored
     */
    public InnerMaps(BpfMap template, int slots, ByteBuffer mem) {
        this.template = template;
        this.refs = new BpfMap[slots];
        this.mem = mem;
    }

    /** bpf_map_meta_alloc(): the spec must carry a template whose type can be an inner map, one level deep. */
    public static void checkTemplate(MapSpec spec) {
        String what = ArrayMap.what(spec);
        BpfMap t = spec.innerMap();
        if (t == null) {
            throw new SondeException(Errno.EINVAL, what + " has no inner-map template; set MapSpec.Builder.innerMap(map)"
                    + " to a map shaped like the maps it will hold");
        }
        if (t.type() == MapType.ARRAY_OF_MAPS || t.type() == MapType.HASH_OF_MAPS) {
            throw new SondeException(Errno.EINVAL, what + ": the template '" + t.name() + "' is itself a map-in-map, and"
                    + " only one level of nesting is supported; use an array or hash template");
        }
        t.metaEqual(t); // throws for a type that cannot be an inner map
    }

    /** The template candidates are compared with. */
    public BpfMap template() {
        return template;
    }

    /** The grace period programs enter around their use of an inner map of this outer map. */
    public GracePeriod gracePeriod() {
        return gracePeriod;
    }

    /** bpf_map_fd_get_ptr()'s checks without the reference: 0, -EBADF for no such live map, -EINVAL for a misfit. */
    public int check(int id) {
        BpfMap c = Maps.byId(id);
        if (c == null) {
            return -Errno.EBADF;
        }
        return template.metaEqual(c) ? 0 : -Errno.EINVAL;
    }

    /**
     * Stores map {@code id} in {@code slot} (its id at {@code idOffset} of the outer map's memory), taking a
     * reference and releasing the map it replaces: 0, -EBADF or -EINVAL.
     */
    public synchronized int put(int slot, int idOffset, int id) {
        BpfMap c = Maps.byId(id);
        if (c == null) {
            return -Errno.EBADF;
        }
        if (!template.metaEqual(c)) {
            return -Errno.EINVAL;
        }
        try {
            c.retain();
        } catch (SondeException freedMeanwhile) {
            return -Errno.EBADF;
        }
        BpfMap old = (BpfMap) REFS.getVolatile(refs, slot);
        // Volatile, not just release: GracePeriod's argument needs this store and the counter reads totally ordered.
        REFS.setVolatile(refs, slot, c);
        // Release: another process that reads the id sees the slot's earlier writes.
        MapMemory.INT.setRelease(mem, idOffset, id);
        if (old != null) {
            old.release();
        }
        return 0;
    }

    /** Empties {@code slot}, releasing its map: 0, or -ENOENT when it was empty. */
    public synchronized int remove(int slot, int idOffset) {
        BpfMap old = (BpfMap) REFS.getVolatile(refs, slot);
        if (old == null) {
            return -Errno.ENOENT;
        }
        // Volatile: as in put().
        REFS.setVolatile(refs, slot, null);
        MapMemory.INT.setRelease(mem, idOffset, 0);
        old.release();
        return 0;
    }

    /** The map in {@code slot}, or null. Lock-free, allocation-free. */
    public BpfMap get(int slot) {
        // Volatile (a plain load on x86, ldar on ARM, as acquire would be): GracePeriod needs it ordered after enter().
        return (BpfMap) REFS.getVolatile(refs, slot);
    }

    /** Releases every inner map: the outer map is being freed. Ids stay in the file, naming maps now gone. */
    public synchronized void releaseAll() {
        for (int i = 0; i < refs.length; i++) {
            BpfMap old = (BpfMap) REFS.getVolatile(refs, i);
            if (old != null) {
                REFS.setVolatile(refs, i, null);
                old.release();
            }
        }
    }

    /** A map-in-map as another one's template: the kernel, too, allows one level of nesting only. */
    static SondeException nestingRefused(BpfMap outer) {
        return new SondeException(Errno.EINVAL, "map '" + outer.name() + "' is a map-in-map; only one level of "
                + "nesting is supported, use an array or hash as the template");
    }
}
