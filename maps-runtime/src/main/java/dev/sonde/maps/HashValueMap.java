package dev.sonde.maps;

/**
 * What the hash maps whose values live in their own file have beyond {@link ValueMap}: format 2
 * ({@link BpfHashMap}) and format 3 ({@link FoldedHashMap}).
 */
abstract class HashValueMap extends ValueMap {
    /** As map_get_sys_perms(): BPF_F_RDONLY / BPF_F_WRONLY restrict the syscall side only. */
    protected final boolean sysRead;
    protected final boolean sysWrite;
    /** Keys of 4 or 8 bytes, the ones the typed accessors take (others: -EINVAL). */
    protected final boolean typedKeys;

    HashValueMap(MapSpec spec, int id, MapFile file, boolean readOnly) {
        super(spec, id, file, readOnly);
        this.sysRead = !spec.hasFlag(MapSpec.F_WRONLY);
        this.sysWrite = !spec.hasFlag(MapSpec.F_RDONLY) && !readOnly;
        this.typedKeys = spec.keySize() == 8 || spec.keySize() == 4;
    }

    /**
     * The update flags ANY, NOEXIST or EXIST, or -1 for any other, as htab_map_update_elem: (flags & ~BPF_F_LOCK) >
     * BPF_EXIST, unsigned; F_LOCK needs a spin lock in the value, which Sonde values never have (map_update_elem's
     * EINVAL).
     */
    static long updateFlags(long flags) {
        long f = flags & ~F_LOCK;
        return f < 0 || f > EXIST || (flags & F_LOCK) != 0 ? -1 : f;
    }

    /** Elements the map holds now. */
    abstract long count();

    /** Deletes an element by its 4- or 8-byte key: 0, -ENOENT, -EINVAL for other key sizes, -EPERM read-only. */
    public abstract int deleteElem(long key);
}
