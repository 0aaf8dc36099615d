package dev.sonde.maps;

import static dev.sonde.maps.FoldedHashLayout.SLOT_SIZE;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A {@code HASH} map whose keys and values each fit one word (1 to 8 bytes): the semantics of
 * {@code kernel/bpf/hashtab.c}, as {@link BpfHashMap}'s, over the table of hash format 3 ({@link FoldedHashTable},
 * {@link FoldedHashLayout}), whose lookup reads one word of one line. Per-shard and LRU hashes, and wider keys or
 * values, stay on format 2 ({@link BpfHashMap}).
 *
 * <p>A program's lookup ({@link #lookupElem}) comes in three kinds, one class each, so that the call site's type
 * check, which a program's call through {@link BpfMap} pays anyway, also picks the probe: {@link LongKeys} and
 * {@link IntKeys} for maps this JVM created (each probes with the fewest instructions its key size allows), and
 * {@link Checked} for files made elsewhere or before ({@code Maps.open}) and keys of other sizes. Fields that told
 * these apart on every call (a key mask, and a fold poisoned to send the third kind to the table) cost a get about
 * 8% (benchmarks/README.md, stop 20).
 */
abstract class FoldedHashMap extends HashValueMap {
    final FoldedHashTable table;
    /** The slots, from slot 0: the probe's offsets need no constant added (FoldedHashLayout.SLOTS_OFFSET). */
    private final ByteBuffer slots;
    private final long slotsBase;
    /** The hash's top bits index the table: 64 - log2(capacity). */
    final int shift;
    private final int mask;
    private final int bounds;

    FoldedHashMap(MapSpec spec, int id, MapFile file, boolean readOnly) {
        super(spec, id, file, readOnly);
        this.table = new FoldedHashTable(mem, spec.keySize(), spec.valueSize(), spec.maxEntries());
        this.slots = mem.slice(FoldedHashLayout.SLOTS_OFFSET, mem.capacity() - FoldedHashLayout.SLOTS_OFFSET)
                .order(ByteOrder.LITTLE_ENDIAN);
        this.slotsBase = HotMemory.base(slots);
        this.shift = table.shift();
        this.mask = table.capacity() - 1;
        this.bounds = table.bounds();
    }

    /**
     * The map for a format-3 file. {@code opened}: the file was made by another JVM, or before ({@code Maps.open}),
     * not by this map's creation, so its content is not vouched for and lookups take the table's bounded probe.
     */
    static FoldedHashMap of(MapSpec spec, int id, MapFile file, boolean readOnly, boolean opened) {
        if (opened || !(spec.keySize() == 8 || spec.keySize() == 4)) {
            return new Checked(spec, id, file, readOnly);
        }
        return spec.keySize() == 8 ? new LongKeys(spec, id, file, readOnly) : new IntKeys(spec, id, file, readOnly);
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
     * The probe of a program's lookup from {@code home} for {@code word}, a key word that is no state (EMPTY, BUSY,
     * DELETED): the handle of its value, or -ENOENT. The whole probe is here: when a long run was handed on to
     * {@link FoldedHashTable#findLong}, C2 inlined that into every caller, and the register pressure of two loops
     * cost a quarter of a get in random order (stop 19).
     *
     * <p>The probe ends: a table this runtime wrote holds at most max_entries live keys in at least twice as many
     * slots, so every run of live slots ends at a slot in a state. Only the subclasses for maps this JVM created
     * call it.
     */
    final long probe(long word, long home) {
        ByteBuffer s = slots;
        long b = slotsBase;
        long msk = mask;
        // Long arithmetic throughout: an int index costs a sign extension before every address.
        long idx = home;
        for (;;) {
            long off = idx * SLOT_SIZE;
            // Acquire: the key word is published after the value (FoldedHashLayout).
            long w = HotMemory.getLongAcquire(s, b, off);
            if (w == word) {
                return off + (FoldedHashLayout.SLOTS_OFFSET + FoldedHashLayout.VALUE_OFFSET);
            }
            if (endsMiss(w, idx, home, msk)) {
                return -Errno.ENOENT;
            }
            idx = (idx + 1) & msk;
        }
    }

    /**
     * As {@link #probe}, but reads the value word of the slot it finds ({@code missing} when the key is absent): a
     * plain read after the key's acquire, as {@link #getLong} after a lookup. The slot is on the line just loaded.
     * A loop of its own: {@code probe} followed by an unchecked read at its handle, which C2 did not fold into
     * the hit, ran at 361-377 ops/µs against this one's 470-479 (HashMapBenchmark, 1024 keys, stop 24).
     */
    final long probeLong(long word, long home, long missing) {
        ByteBuffer s = slots;
        long b = slotsBase;
        long msk = mask;
        long idx = home;
        for (;;) {
            long off = idx * SLOT_SIZE;
            long w = HotMemory.getLongAcquire(s, b, off);
            if (w == word) {
                return HotMemory.getLong(s, b, off + FoldedHashLayout.VALUE_OFFSET);
            }
            if (endsMiss(w, idx, home, msk)) {
                return missing;
            }
            idx = (idx + 1) & msk;
        }
    }

    /**
     * Whether the key word {@code w}, read at {@code idx} by a probe from {@code home} that did not match, ends a
     * miss. 0..3: EMPTY, BUSY, DELETED, or the one live key word 3 (a bound read too many). Only a run with no
     * EMPTY slot left needs the home's bound to end a miss, and such a run holds BUSY or DELETED slots: the live
     * ones are at most max_entries, under half the slots. So the bound is read there alone, and the probe over live
     * slots counts nothing (a counter on every collision measured 7% of a get in random order, stop 19). Acquire on
     * the bound: raised before the key it covers was published.
     */
    private boolean endsMiss(long w, long idx, long home, long msk) {
        return (w & ~3L) == 0 && (w == FoldedHashLayout.EMPTY || ((idx - home) & msk)
                >= (HotMemory.getIntAcquire(mem, bounds + (int) home * 4) & FoldedHashLayout.BOUND_MASK));
    }

    /** The table's own lookup, bounded in a file of any content: the handle of the key's value, or -ENOENT. */
    final long lookupInTable(long key) {
        int off = table.findLong(key);
        return off < 0 ? -Errno.ENOENT : off + FoldedHashLayout.VALUE_OFFSET;
    }

    /**
     * 8-byte keys, in a file this JVM formatted: its fold is the hash's start (FoldedHashLayout.fold), so the key
     * word, {@code key ^ fold}, is also what the hash multiplies. Key words 0 to 3 leave for the table's lookup: the
     * side slots' keys (0, 1, 2) and the one ordinary key whose word is 3, for one test.
     */
    static final class LongKeys extends FoldedHashMap {
        private final long fold;

        LongKeys(MapSpec spec, int id, MapFile file, boolean readOnly) {
            super(spec, id, file, readOnly);
            this.fold = table.fold();
        }

        @Override
        public long lookupElem(long key) {
            long word = key ^ fold;
            if ((word & ~3L) == 0) {
                return lookupInTable(key);
            }
            return probe(word, HashFunction.fibChunk(0, word) >>> shift);
        }

        /**
         * {@link #lookupElem}'s probe, reading the value word where it finds the key: what {@code getLong(h, 0)}
         * reads, for a value of any size (a slot's value is one word). Other offsets, and the keys that leave the
         * probe, take the two calls.
         */
        @Override
        public long lookupLong(long key, int offset, long missing) {
            long word = key ^ fold;
            if ((word & ~3L) == 0 || offset != 0) {
                return super.lookupLong(key, offset, missing);
            }
            return probeLong(word, HashFunction.fibChunk(0, word) >>> shift, missing);
        }
    }

    /**
     * 4-byte keys (the low half of the long), in a file this JVM formatted: fold has its top bit set for keys
     * shorter than 8 bytes, so no key word is a state and no key lives in a side slot.
     */
    static final class IntKeys extends FoldedHashMap {
        private final long fold;
        private final long start;

        IntKeys(MapSpec spec, int id, MapFile file, boolean readOnly) {
            super(spec, id, file, readOnly);
            this.fold = table.fold();
            this.start = table.start();
        }

        @Override
        public long lookupElem(long key) {
            long k = key & 0xFFFF_FFFFL;
            return probe(k ^ fold, HashFunction.fibChunk(start, k) >>> shift);
        }

        /** As {@link LongKeys#lookupLong}: no key of this kind leaves the probe. */
        @Override
        public long lookupLong(long key, int offset, long missing) {
            if (offset != 0) {
                return super.lookupLong(key, offset, missing);
            }
            long k = key & 0xFFFF_FFFFL;
            return probeLong(k ^ fold, HashFunction.fibChunk(start, k) >>> shift, missing);
        }
    }

    /**
     * A file this JVM did not create ({@code Maps.open}), whose content is not vouched for: lookups take the
     * table's bounded probe. Also keys of neither 4 nor 8 bytes, which the typed accessors refuse.
     */
    static final class Checked extends FoldedHashMap {
        Checked(MapSpec spec, int id, MapFile file, boolean readOnly) {
            super(spec, id, file, readOnly);
        }

        @Override
        public long lookupElem(long key) {
            return typedKeys ? lookupInTable(key) : -Errno.EINVAL;
        }
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
