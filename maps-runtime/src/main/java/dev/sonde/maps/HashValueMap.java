package dev.sonde.maps;

/**
 * What the hash maps whose values live in their own file have beyond {@link ValueMap}: format 2
 * ({@link BpfHashMap}) and format 3 ({@link FoldedHashMap}).
 */
abstract class HashValueMap extends ValueMap {
    HashValueMap(MapSpec spec, int id, MapFile file, boolean readOnly) {
        super(spec, id, file, readOnly);
    }

    /** Elements the map holds now. */
    abstract long count();

    /** Deletes an element by its 4- or 8-byte key: 0, -ENOENT, -EINVAL for other key sizes, -EPERM read-only. */
    public abstract int deleteElem(long key);
}
