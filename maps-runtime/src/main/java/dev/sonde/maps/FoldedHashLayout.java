package dev.sonde.maps;

/**
 * Hash table format 3, "folded": the memory of {@link FoldedHashTable}, for hash maps whose keys and values each
 * fit one 8-byte word. A slot is the key word and the value word, 16 bytes, four to a cache line; the slot's state
 * is folded into its key word instead of a control word of its own, so a lookup reads one line and one word before
 * it knows whether it hit. HashLayout (formats 1 and 2) spends 32 bytes a slot on ctrl, bound, LRU and owner words:
 * at 1024 keys its table no longer fits L1, and its hit reads two words with a validation between them. A get
 * through this format measured 1.6-2.6x format 2's (benchmarks/README.md, stop 18).
 *
 * <pre>
 *  header page (MapHeaderLayout), then the type's control words from byte 512:
 *  512 hash_algo u32 (3 = folded; formats 1 and 2 are HashLayout's)   516 capacity u32 (power of two)
 *  520 seed u64   528 key_size u32 (1..8)   532 value_size u32 (1..8)   536 fold u64 (see below)
 *  640 count u64   elements held, never above max_entries (own cache line: inserts and deletes contend on it)
 *  704 epoch u64   +1 before every delete (own cache line: only deletes write it)
 *  768 side_lock u64: the writers' lock of the side slots
 *
 *  4096: side slots, one line: 3 x (state u64: 0 absent, 1 present, 2 being deleted | value u64) for the keys
 *        fold, fold ^ 1 and fold ^ 2, which cannot live in the table (their key word would read as a state, below)
 *  4160: capacity slots (four per element: capacity()), slot i at 4160 + 16 * i; a key lives at or after its
 *        home slot (fib64 v2: the top log2(capacity) bits of the hash), at most its home's bound slots further
 *        (linear probing, wrapping)
 *        +--------------------------+--------------------------------------------+
 *        | key word u64: key ^ fold | value u64 (value_size bytes, zero-padded)  |
 *        +--------------------------+--------------------------------------------+
 *        key word 0: EMPTY (never used); 1: BUSY (claimed, value being written); 2: DELETED; anything else: the
 *        key (key word ^ fold), LIVE
 *  4160 + 16 * capacity: capacity bound words u32, word i for the keys whose home is slot i:
 *        bits 0-30 how far those keys may be from it, bit 31 LOCK (a writer of one of those keys is inside)
 * </pre>
 *
 * <p><b>fold</b> is drawn from the seed when the map is made. A key is stored xor'ed with it, so a freshly created
 * (zero-filled) file is all EMPTY and the three state values are the keys fold, fold ^ 1 and fold ^ 2, which go to
 * the side slots instead. For 8-byte keys fold is the hash's start ({@code seed ^ 8 * K0}), so the key word is also
 * the hash's input ({@code (start ^ key) * K0}) and a lookup xors once; files from builds before 2026-11-30 hold
 * another fold, which every reader takes from this header. For keys shorter than 8 bytes fold has its top bit set:
 * no key reaches the states.
 *
 * <p><b>Readers take no lock and store nothing.</b> A lookup reads key words from the home slot on, with acquire:
 * the match is the element, EMPTY ends the search, and past the home's bound there is nothing more. A key word
 * changes from BUSY to the key only after the value is written (release), and from the key only by a delete, so one
 * read of the key word is the whole validation for a handle (a program's pointer to the value, with the kernel's
 * semantics: a later delete does not take it back). A syscall-style lookup that copies the value out reads the epoch
 * before the key word and again after the value. A delete turns the key word BUSY, bumps the epoch, and only then
 * marks the slot DELETED, free for reuse; so a value read from a slot deleted and reused meanwhile is never
 * returned (FoldedHashTable.delete gives the argument).
 *
 * <p><b>Writers of one home take turns</b>: insert, update by key and delete set the home's LOCK bit with a CAS and
 * clear it when done. Two inserts of one key share a home, so they never both add it; writers of different homes
 * claim free slots with a CAS of the key word (EMPTY or DELETED to BUSY). A writer waits only for another writer
 * of the same home, for one insert's time; it gives up with -EBUSY after half a second (a writer that died inside).
 * A slot never returns to EMPTY, so every slot between a key's home and the key stays occupied; bounds only grow,
 * and only under the home's lock, before the key they cover is published.
 */
public final class FoldedHashLayout {
    /** {@link HashLayout#HASH_ALGO_OFFSET}'s value for this format. */
    public static final int HASH_ALGO_FOLDED = 3;

    public static final int HASH_ALGO_OFFSET = HashLayout.HASH_ALGO_OFFSET;
    public static final int CAPACITY_OFFSET = HASH_ALGO_OFFSET + 4;
    public static final int SEED_OFFSET = HASH_ALGO_OFFSET + 8;
    public static final int KEY_SIZE_OFFSET = HASH_ALGO_OFFSET + 16;
    public static final int VALUE_SIZE_OFFSET = HASH_ALGO_OFFSET + 20;
    public static final int FOLD_OFFSET = HASH_ALGO_OFFSET + 24;
    public static final int COUNT_OFFSET = HASH_ALGO_OFFSET + 128;
    public static final int EPOCH_OFFSET = HASH_ALGO_OFFSET + 192;
    public static final int SIDE_LOCK_OFFSET = HASH_ALGO_OFFSET + 256;

    public static final int SIDE_OFFSET = MapHeaderLayout.DATA_OFFSET;
    public static final int SIDE_SLOTS = 3;
    public static final int SLOTS_OFFSET = SIDE_OFFSET + 64;
    public static final int SLOT_SIZE = 16;
    public static final int VALUE_OFFSET = 8;

    /** Key-word states; any other key word is a LIVE key. */
    public static final long EMPTY = 0;
    public static final long BUSY = 1;
    public static final long DELETED = 2;
    /** Side-slot states. */
    public static final long SIDE_ABSENT = 0;
    public static final long SIDE_PRESENT = 1;
    public static final long SIDE_DELETING = 2;

    public static final int LOCK = 0x8000_0000;
    public static final int BOUND_MASK = 0x7FFF_FFFF;

    private FoldedHashLayout() {
    }

    /** Whether maps of this shape use this format: keys and values of one word each. */
    public static boolean fits(int keySize, int valueSize) {
        return keySize >= 1 && keySize <= 8 && valueSize >= 1 && valueSize <= 8;
    }

    /** Offset of slot {@code index}. */
    public static int slotOffset(int index) {
        return SLOTS_OFFSET + index * SLOT_SIZE;
    }

    public static int boundsOffset(int capacity) {
        return SLOTS_OFFSET + capacity * SLOT_SIZE;
    }

    /** Offset of side slot {@code i}'s state word (its value follows). */
    public static int sideOffset(int i) {
        return SIDE_OFFSET + i * SLOT_SIZE;
    }

    /**
     * Slots for a map of {@code maxEntries}: four per element, rounded up to a power of two, at least 8. With the
     * table at most a quarter full, 88% of keys lie in their home slot, against 75% at half full (HashLayout's two
     * per element): a probe's first compare is the branch a get mispredicts, and a misprediction behind a cache
     * miss also throws away the next gets' loads already in flight. A get by key ran 1.5x as fast at 65536 keys and
     * 1.1x at 1024 (benchmarks/README.md, "Maps", stop 25). 80 bytes an element with the bound words: what the
     * kernel's preallocated hash spends on an element of 8-byte key and value with its bucket, and about what
     * ConcurrentHashMap spends on a node with its boxed key and value.
     */
    public static long capacity(int maxEntries) {
        return HashLayout.slotsFor(4L * maxEntries);
    }

    /** Bytes of map-file data area for {@code capacity} slots: side line, slots, bound words. */
    public static long dataAreaSize(long capacity) {
        return 64L + capacity * (SLOT_SIZE + 4);
    }

    /** The fold of a map with this seed and key size: a key word never equals a state for a real short key. */
    public static long fold(long seed, int keySize) {
        if (keySize == 8) {
            return HashFunction.start(seed, 8);
        }
        long f = HashFunction.mix(seed ^ 0x5EED_F01D_0000_0003L);
        return keySize < 8 ? f | Long.MIN_VALUE : f;
    }
}
