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

    // ---- syscall-style calls: the checks in the kernel's order, here once; each format supplies the table's part --

    @Override
    public final int lookup(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        if (!sysRead) {
            return -Errno.EPERM;
        }
        return lookupValue(key, value);
    }

    @Override
    public final int update(byte[] key, byte[] value, long flags) {
        checkKey(key);
        checkValue(value);
        if (!sysWrite) {
            return -Errno.EPERM;
        }
        long f = updateFlags(flags);
        if (f < 0) {
            return -Errno.EINVAL;
        }
        return updateValue(key, value, f);
    }

    @Override
    public final int delete(byte[] key) {
        checkKey(key);
        if (!sysWrite) {
            return -Errno.EPERM;
        }
        return deleteValue(key, null);
    }

    @Override
    public final int getNextKey(byte[] keyOrNull, byte[] nextKey) {
        checkNextKey(keyOrNull, nextKey);
        if (!sysRead) {
            return -Errno.EPERM;
        }
        return nextKey(keyOrNull, nextKey);
    }

    @Override
    public final int lookupAndDelete(byte[] key, byte[] value) {
        checkKey(key);
        checkValue(value);
        if (!sysRead || !sysWrite) {
            return -Errno.EPERM;
        }
        return deleteValue(key, value);
    }

    /** The value of {@code key} into {@code value}: 0 or -ENOENT. Arguments checked. */
    abstract int lookupValue(byte[] key, byte[] value);

    /** Inserts or updates with {@code flags} (ANY, NOEXIST or EXIST): 0 or a negative errno. Arguments checked. */
    abstract int updateValue(byte[] key, byte[] value, long flags);

    /** Deletes {@code key}, its value first into {@code valueOrNull} if given: 0 or -ENOENT. Arguments checked. */
    abstract int deleteValue(byte[] key, byte[] valueOrNull);

    /** getNextKey's walk: 0 or -ENOENT. Arguments checked. */
    abstract int nextKey(byte[] keyOrNull, byte[] nextKey);

    /** Elements the map holds now. */
    abstract long count();

    /** Deletes an element by its 4- or 8-byte key: 0, -ENOENT, -EINVAL for other key sizes, -EPERM read-only. */
    public abstract int deleteElem(long key);
}
