package dev.sonde.maps;

import static dev.sonde.maps.FoldedHashLayout.SLOT_SIZE;

/**
 * A {@code HASH} map whose keys and values each fit one word (1 to 8 bytes): the semantics of
 * {@code kernel/bpf/hashtab.c}, as {@link BpfHashMap}'s, over the table of hash format 3 ({@link FoldedHashTable},
 * {@link FoldedHashLayout}), whose lookup reads one word of one line. Per-shard and LRU hashes, and wider keys or
 * values, stay on format 2 ({@link BpfHashMap}).
 */
final class FoldedHashMap extends HashValueMap {
    private final FoldedHashTable table;
    /**
     * Copies of the table's geometry, as lookupElem reads it (see there). In a map without typed keys (keys of
     * neither 4 nor 8 bytes), and in a file this JVM did not create, the copies of keyMask and fold are 0 and -1:
     * every key word is then -1, which lookupElem's one test for side-slot keys sends to {@link #lookupFar} too.
     * That refuses the first and takes the table's lookup for the second, whose probe ends in a file of any
     * content; lookupElem's own probe relies on a table this runtime wrote (see there).
     */
    private final long keyMask;
    private final long fold;
    private final long start;
    private final int shift;
    private final int mask;
    private final long slotBase;
    private final int bounds;

    /** {@code opened}: the file was made by another JVM, or before (Maps.open), not by this map's creation. */
    FoldedHashMap(MapSpec spec, int id, MapFile file, boolean readOnly, boolean opened) {
        super(spec, id, file, readOnly);
        this.table = new FoldedHashTable(mem, spec.keySize(), spec.valueSize(), spec.maxEntries());
        boolean fast = typedKeys && !opened;
        this.keyMask = fast ? table.keyMask() : 0;
        this.fold = fast ? table.fold() : -1L;
        this.start = table.start();
        this.shift = table.shift();
        this.mask = table.capacity() - 1;
        this.slotBase = table.base();
        this.bounds = table.bounds();
    }

    @Override
    long count() {
        return table.count();
    }

    /** The little-endian word of a key or value array of at most 8 bytes. */
    private static long word(byte[] b) {
        return HashFunction.leChunk(b, 0, b.length);
    }

    private static void bytes(long w, byte[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (w >>> (8 * i));
        }
    }

    // ---- syscall-style calls -------------------------------------------------------------------------------

    @Override
    int lookupValue(byte[] key, byte[] value) {
        long[] out = new long[1]; // the syscall-style calls are not the programs' hot path
        int r = table.lookup(word(key), out);
        if (r == 0) {
            bytes(out[0], value);
        }
        return r;
    }

    @Override
    int updateValue(byte[] key, byte[] value, long flags) {
        int r = table.update(word(key), word(value), flags, false);
        return r < 0 ? r : 0;
    }

    @Override
    int deleteValue(byte[] key, byte[] valueOrNull) {
        long[] out = valueOrNull == null ? null : new long[1];
        int r = table.delete(word(key), out);
        if (r == 0 && valueOrNull != null) {
            bytes(out[0], valueOrNull);
        }
        return r;
    }

    @Override
    int nextKey(byte[] keyOrNull, byte[] nextKey) {
        long[] out = new long[1];
        int r = table.getNextKey(keyOrNull != null, keyOrNull == null ? 0 : word(keyOrNull), out);
        if (r == 0) {
            bytes(out[0], nextKey);
        }
        return r;
    }

    // ---- typed accessors -------------------------------------------------------------------------------------

    /**
     * A program's lookup, over this object's own copies of the table's geometry: through the table object, with
     * its checks, a 1024-key get measured 195-222 ops/µs where reading the copies here measured more
     * (benchmarks/README.md, stop 18). The whole probe is here. When a long run handed the lookup on to
     * {@link FoldedHashTable#findLong}, C2 inlined that (154 bytes of bytecode) into every caller, and the register
     * pressure of two loops cost a quarter of a get in random order (stop 19). Only a side slot's key, a map
     * without typed keys and a file this JVM did not create leave this method.
     *
     * <p>The probe ends: a table this runtime wrote holds at most max_entries live keys in at least twice as many
     * slots, so every run of live slots ends at a slot in a state (the constructor's copies keep other files off
     * this path).
     */
    @Override
    public long lookupElem(long key) {
        long k = key & keyMask;
        long word = k ^ fold;
        // word + 1 in 0..3: a side slot's key word (0, 1, 2; see FoldedHashLayout), or -1, the word of one
        // ordinary key and of every key this path does not serve. One add and one test, where an unsigned
        // compare of word with 2 is two compares and two branches to C2 on JDK 17.
        if (((word + 1) & ~3L) == 0) {
            return lookupFar(key);
        }
        long b = slotBase;
        int msk = mask;
        int home = (int) (HashFunction.fibChunk(start, k) >>> shift);
        int idx = home;
        for (;;) {
            int off = FoldedHashLayout.SLOTS_OFFSET + idx * SLOT_SIZE;
            // Acquire: the key word is published after the value (FoldedHashLayout).
            long w = HotMemory.getLongAcquire(mem, b, off);
            if (w == word) {
                return off + FoldedHashLayout.VALUE_OFFSET;
            }
            // 0..3: EMPTY, BUSY, DELETED, or the one live key word 3 (a bound read too many). Only a run with no
            // EMPTY slot left needs the home's bound to end a miss, and such a run holds BUSY or DELETED slots:
            // the live ones are at most max_entries, under half the slots. So the bound is read there alone,
            // and the probe over live slots counts nothing (a counter on every collision measured 7% of a get
            // in random order, stop 19). Acquire on the bound: raised before the key it covers was published.
            if ((w & ~3L) == 0 && (w == FoldedHashLayout.EMPTY || ((idx - home) & msk)
                    >= (HotMemory.getIntAcquire(mem, b, bounds + home * 4) & FoldedHashLayout.BOUND_MASK))) {
                return -Errno.ENOENT;
            }
            idx = (idx + 1) & msk;
        }
    }

    private long lookupFar(long key) {
        if (!typedKeys) {
            return -Errno.EINVAL;
        }
        int off = table.findLong(key);
        return off < 0 ? -Errno.ENOENT : off + FoldedHashLayout.VALUE_OFFSET;
    }

    @Override
    public long lookupOrInitElem(long key) {
        long h = lookupElem(key); // -EINVAL passes through
        if (h != -Errno.ENOENT) {
            return h;
        }
        if (readOnly) {
            return -Errno.EPERM;
        }
        int off = table.update(key, 0, ANY, true); // another thread may have inserted the key meanwhile
        return off < 0 ? off : off + FoldedHashLayout.VALUE_OFFSET;
    }

    /** Deletes an element by its 4- or 8-byte key: 0 or -ENOENT, as {@link BpfHashMap#deleteElem}. */
    @Override
    public int deleteElem(long key) {
        if (!typedKeys) {
            return -Errno.EINVAL;
        }
        if (readOnly) {
            return -Errno.EPERM;
        }
        return table.delete(key, null);
    }

    // ---- map-in-map -----------------------------------------------------------------------------------------

    /** As the kernel's: type, key and value size and flags must match; max_entries may differ. */
    @Override
    public boolean metaEqual(BpfMap candidate) {
        return baseMetaEqual(candidate);
    }
}
