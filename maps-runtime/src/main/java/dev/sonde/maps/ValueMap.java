package dev.sonde.maps;

/**
 * The typed accessors of the maps whose handles are offsets of values inside their own file ({@code ARRAY},
 * {@code PERCPU_ARRAY} and the hashes), through {@link HotMemory}: these run on every instrumented invocation.
 *
 * <p>A handle and an offset come from a program, and HotMemory does not check them, so each access first checks
 * that it lies inside the file's data area (one unsigned compare), aligned for the atomic and opaque ones (the
 * rotate folds that into the same compare), and that a write is not to a map opened read-only (whose mapping would
 * fault). A bad one throws before any memory is touched, on every JDK alike; programs catch it. The data area, not
 * the value: as through {@code mem}, a made-up handle may still land in another element, but never outside the file.
 */
abstract class ValueMap extends BpfMap {
    private static final int BASE = MapHeaderLayout.DATA_OFFSET;

    /** The buffer's address (HotMemory.base): one field load on the hot path instead of two. */
    private final long base;
    /**
     * Data-area offsets below which an 8-byte / a 4-byte read may start (plain reads need no alignment), and the
     * aligned 8-byte / 4-byte words of the data area a write may touch (0 on a map opened read-only). Each is kept
     * plus Integer.MIN_VALUE, so that the unsigned compare with it ({@link #beyond}) is one signed
     * compare with the field: kept as is, C2 added the bias to the field's value on every access (two instructions
     * of a hash get's fifty, benchmarks/README.md, stop 20).
     */
    private final int longReads;
    private final int intReads;
    private final int longWords;
    private final int intWords;

    ValueMap(MapSpec spec, int id, MapFile file, boolean readOnly) {
        super(spec, id, file, readOnly);
        this.base = HotMemory.base(mem);
        int data = Math.max(mem.capacity() - BASE, 0);
        this.longReads = Math.max(data - 7, 0) + Integer.MIN_VALUE;
        this.intReads = Math.max(data - 3, 0) + Integer.MIN_VALUE;
        this.longWords = (readOnly ? 0 : data >>> 3) + Integer.MIN_VALUE;
        this.intWords = (readOnly ? 0 : data >>> 2) + Integer.MIN_VALUE;
    }

    /** {@code Integer.compareUnsigned(d, limit) >= 0}, for a limit kept biased by Integer.MIN_VALUE (see there). */
    private static boolean beyond(int d, int biasedLimit) {
        return d + Integer.MIN_VALUE >= biasedLimit;
    }

    // Each offset below is (int) handle + offset - BASE, wrapping: the compare bounds the very value the access
    // then uses, so no overflow can slip past it. rotateRight(d, 3) is d / 8 when d is a multiple of 8 and at
    // least 2^29 (above any word count) when it is not.

    @Override
    public final long getLong(long handle, int offset) {
        int at = (int) handle + offset;
        if (beyond(at - BASE, longReads)) {
            throw outside(handle, offset, 8, false);
        }
        return HotMemory.getLong(mem, base, at);
    }

    @Override
    public final int getInt(long handle, int offset) {
        int at = (int) handle + offset;
        if (beyond(at - BASE, intReads)) {
            throw outside(handle, offset, 4, false);
        }
        return HotMemory.getInt(mem, base, at);
    }

    @Override
    public final void putLong(long handle, int offset, long value) {
        int at = (int) handle + offset;
        if (beyond(Integer.rotateRight(at - BASE, 3), longWords)) {
            throw outside(handle, offset, 8, true);
        }
        HotMemory.putLongOpaque(mem, base, at, value);
    }

    @Override
    public final void putInt(long handle, int offset, int value) {
        int at = (int) handle + offset;
        if (beyond(Integer.rotateRight(at - BASE, 2), intWords)) {
            throw outside(handle, offset, 4, true);
        }
        HotMemory.putIntOpaque(mem, base, at, value);
    }

    @Override
    public final long addLong(long handle, int offset, long delta) {
        int at = (int) handle + offset;
        if (beyond(Integer.rotateRight(at - BASE, 3), longWords)) {
            throw outside(handle, offset, 8, true);
        }
        return HotMemory.getAndAddLong(mem, base, at, delta);
    }

    @Override
    public final int addInt(long handle, int offset, int delta) {
        int at = (int) handle + offset;
        if (beyond(Integer.rotateRight(at - BASE, 2), intWords)) {
            throw outside(handle, offset, 4, true);
        }
        return HotMemory.getAndAddInt(mem, base, at, delta);
    }

    /** Off the hot path: the one-line error for a handle or offset no lookup gave, or a write to a read-only map. */
    private RuntimeException outside(long handle, int offset, int size, boolean write) {
        if (write && readOnly) {
            return new SondeException(Errno.EPERM, "map '" + name() + "' was opened read-only, so its values cannot "
                    + "be written; open it with Maps.open(path, true)");
        }
        return new IndexOutOfBoundsException("map '" + name() + "': handle " + handle + " + offset " + offset + " is not "
                + (write ? "an aligned " : "a ") + size + "-byte field inside the map's values; pass a handle lookupElem "
                + "returned (not an errno) and an offset inside value_size" + (write ? ", a multiple of " + size : ""));
    }
}
