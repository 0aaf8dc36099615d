package dev.sonde.maps;

/**
 * Hash formats 1 and 2: the memory of {@code HASH}, {@code PERCPU_HASH}, {@code LRU_HASH} and {@code HASH_OF_MAPS}
 * (4-byte ids as values) maps, except plain hashes of one-word keys and values ({@link FoldedHashLayout}, format 3):
 * a lock-free open-addressing table, all of it preallocated in the map file. Everything a reader in another process
 * needs (hash function, seed, capacity, slot geometry) is in the control words, so {@link Maps#open} rebuilds the
 * table from the file alone.
 *
 * <pre>
 *  header page (MapHeaderLayout), then the type's control words from byte 512:
 *  512 hash_algo u32 (2 = fib64 v2; 1 = mix64 v1, still read)
 *  516 capacity u32 (power of two, >= 2 x max_entries)
 *  520 seed u64 (0 with F_ZERO_SEED)  528 slot_size u32  532 key_offset u32  536 value_offset u32
 *  540 value_stride u32 (one value rounded up to 8; a per-shard map holds num_shards of them)
 *  640 count u64       elements held plus winning inserts about to publish, never above max_entries
 *                      (own cache line: inserts and deletes contend on it, lookups never touch it)
 *  704 lru_hand u64    LRU_HASH: the CLOCK hand, a slot index counter (own cache line)
 *
 *  4096: capacity slots of slot_size bytes, slot i at 4096 + i * slot_size; a key lives at or after its home
 *  slot (fib64 v2: hash >>> (64 - log2(capacity)); mix64 v1: hash & (capacity - 1)), at most the home's bound
 *  slots further (linear probing, wrapping around)
 *  +-----------+-----------+---------+-----------+------------------+--------------------------------------+
 *  | ctrl u64  | bound u32 | ref u16 | owner u16 | key, padded to 8 | value (x num_shards for PERCPU_HASH) |
 *  +-----------+-----------+---------+-----------+------------------+--------------------------------------+
 *  bound: bits 0-30 how far the keys whose home is this slot may be; bit 31 SCANNING; ref: LRU_HASH's use mark;
 *  owner: with F_NO_COMMON_LRU, the shard that inserted the element (its unit is that shard's), else 0
 *
 *  LRU_HASH with F_NO_COMMON_LRU only, after the slots: num_shards lines of 64 bytes, line s at
 *  4096 + capacity * slot_size + 64 * s: count u64 (elements shard s holds, never above max_entries / num_shards),
 *  hand u64 (shard s's CLOCK hand)
 *
 *  ctrl: bits 0-2 state, bit 3 WRITING, bit 4 DOOMED (on INSERTING: killed), bits 5-63 generation (+1 on every change)
 *    EMPTY(0) --claim CAS--> BUSY(1) --key+value written--> INSERTING(2) --no duplicate--> LIVE(3)
 *    LIVE --delete/evict CAS--> DEAD(4) --claim CAS--> BUSY ...      INSERTING --lost a race--> DEAD
 *    INSERTING --killed by a copy nearer the home--> INSERTING|DOOMED --owner gave back its unit--> DEAD
 *    LIVE --lookupAndDelete CAS--> TAKING(5) --value copied out--> DEAD
 * </pre>
 *
 * <p><b>No locks.</b> Every transition is one atomic write of {@code ctrl}, a CAS wherever two threads could
 * race; no thread waits for a word another thread holds, and lookups write nothing but an LRU slot's ref. A slot never returns to EMPTY, so every slot between a key's home and the key stays occupied and a probe
 * may stop at the first EMPTY slot, or after its home's bound once deletes have left DEAD slots behind. An insert
 * raises the bound (CAS) before it publishes, so a published key is always within reach. Deleting the farthest
 * key lowers the bound: set SCANNING, find the farthest slot still holding (or claiming) a key of that home, CAS
 * the new bound in; any raise meanwhile clears SCANNING, so that CAS fails and the raise stands.
 *
 * <p><b>Inserting a new key</b> (as in Purcell and Harris's open-addressing table): claim the first EMPTY or DEAD
 * slot from the home, write key and value while BUSY, publish INSERTING, then scan the probe run for the same
 * key. A LIVE copy wins (EEXIST, or the update goes there); of two INSERTING copies the one nearer the home wins
 * and kills the other with a CAS. Both the publish and the scan (with its read of the home's bound) are
 * volatile, so of two concurrent inserts of one key at least one sees the other. Only the winner then takes a
 * unit of {@code count} (none left: E2BIG, or an LRU eviction), so racing inserts of one key never make each
 * other fail: a killed copy stays INSERTING|DOOMED until its owner has given back any unit it took, and an insert
 * that finds the count full while it sees such a copy retries instead of failing. A thread that meets the winner's INSERTING copy retries until that single insert settles: the
 * only place a thread can spin on another, and only for the same new key at the same instant.
 *
 * <p>A slot that never settles (only a writer that died mid-write leaves one) makes the calls that would wait on
 * it give up with -EBUSY after half a second of retries instead of spinning forever.
 *
 * <p><b>Torn values.</b> {@code ctrl} doubles as a sequence lock for {@code byte[]} values: a writer CASes
 * WRITING on, copies, and clears it with a new generation; readers copy between two reads of {@code ctrl} and
 * retry if it changed. Writers never wait on readers; a writer that finds another write of the same element in
 * flight is ordered just before it (its value would be overwritten at once) and returns. A delete meeting a
 * write sets DOOMED and the writer finishes the delete. Typed accessors work on the value words in place.
 *
 * <p><b>LRU</b> is CLOCK with a two-step reference (GCLOCK), an approximation as the kernel's lists are: an insert
 * sets the slot's ref word to 1, a program-side lookup ({@code lookupElem}, {@code lookupOrInitElem}) to 2;
 * syscall-side lookups do not count as a use, as in the kernel. When the map is full an insert advances the
 * shared hand: each LIVE slot it passes loses one step, and the first found at 0 is evicted. A used element takes
 * two passes of the hand to go, an unused one a single pass; among unused ones the hand's order decides, not age.
 *
 * <p><b>F_NO_COMMON_LRU</b> gives each shard its own LRU, as the kernel gives each CPU its own list: max_entries is
 * rounded up to a multiple of num_shards and each shard holds at most max_entries / num_shards elements, those its
 * threads inserted. A full shard evicts with its own hand, passing over other shards' elements, even when other
 * shards have room; a delete, from any thread, gives the unit back to the element's owner.
 */
public final class HashLayout {
    /** {@link #HASH_ALGO_OFFSET}: {@link HashFunction}'s mix64, version 1, home from the low bits; read, no longer written. */
    public static final int HASH_ALGO_MIX64_V1 = 1;
    /** {@link #HASH_ALGO_OFFSET}: {@link HashFunction}'s fib64, version 2, home from the top bits; what new maps get. */
    public static final int HASH_ALGO_FIB64_V2 = 2;

    public static final int HASH_ALGO_OFFSET = MapHeaderLayout.TYPE_AREA_OFFSET;
    public static final int CAPACITY_OFFSET = HASH_ALGO_OFFSET + 4;
    public static final int SEED_OFFSET = HASH_ALGO_OFFSET + 8;
    public static final int SLOT_SIZE_OFFSET = HASH_ALGO_OFFSET + 16;
    public static final int KEY_OFFSET_OFFSET = HASH_ALGO_OFFSET + 20;
    public static final int VALUE_OFFSET_OFFSET = HASH_ALGO_OFFSET + 24;
    public static final int VALUE_STRIDE_OFFSET = HASH_ALGO_OFFSET + 28;
    public static final int COUNT_OFFSET = HASH_ALGO_OFFSET + 128;
    public static final int LRU_HAND_OFFSET = HASH_ALGO_OFFSET + 192;

    /** Slot states, bits 0-2 of ctrl. */
    public static final int EMPTY = 0;
    public static final int BUSY = 1;
    public static final int INSERTING = 2;
    public static final int LIVE = 3;
    public static final int DEAD = 4;
    /** lookupAndDelete copying the value out of an element already deleted; then DEAD. */
    public static final int TAKING = 5;
    public static final long STATE_MASK = 7;
    /** A byte[] value write is in progress. */
    public static final long WRITING = 8;
    /** Deleted while WRITING: the writer completes the delete. On INSERTING: killed, its owner finishes it. */
    public static final long DOOMED = 16;
    /** One generation step: every change of ctrl adds it. */
    public static final long GEN_ONE = 32;

    public static final int CTRL_OFFSET = 0;
    /** Probe bound (u32) of the keys whose home is this slot. */
    public static final int BOUND_OFFSET = 8;
    /** Bound word: a lowering scan is running; any raise clears it. */
    public static final int SCANNING = 0x8000_0000;
    public static final int BOUND_MASK = 0x7FFF_FFFF;
    /** LRU use mark (u16). */
    public static final int REF_OFFSET = 12;
    /** F_NO_COMMON_LRU: the owning shard (u16), written before the element is published and fixed while it lives. */
    public static final int OWNER_OFFSET = 14;
    /** F_NO_COMMON_LRU: bytes per shard of the per-shard LRU words after the slots (count, hand; own line). */
    public static final int LRU_SHARD_LINE = 64;
    public static final int LRU_SHARD_COUNT = 0;
    public static final int LRU_SHARD_HAND = 8;
    public static final int KEY_OFFSET = 16;
    /** LRU ref word values: just inserted, used by a program since. */
    public static final int REF_NEW = 1;
    public static final int REF_USED = 2;
    /** kernel/bpf/hashtab.c: key_size above MAX_BPF_STACK gives E2BIG. */
    public static final int MAX_KEY_SIZE = 512;
    /** kernel PCPU_MIN_UNIT_SIZE: a per-CPU value rounded to 8 above it gives E2BIG. */
    public static final int MAX_PERCPU_VALUE_SIZE = 32768;
    /** Largest capacity: one file maps at most 2 GiB. */
    public static final long MAX_CAPACITY = 1L << 30;

    private HashLayout() {
    }

    /** Capacity for {@code maxEntries}: a power of two at least twice as large, so probe runs stay short. */
    public static long capacity(int maxEntries) {
        return slotsFor(2L * maxEntries);
    }

    /** The smallest power of two of at least {@code want} slots, and at least 8: a table's capacity. */
    static long slotsFor(long want) {
        return Long.highestOneBit(Math.max(8L, want) - 1) << 1;
    }

    public static int valueOffset(int keySize) {
        return KEY_OFFSET + MapMemory.roundUp8(keySize);
    }

    public static long slotSize(int keySize, int valueStride, int valueSlots) {
        return valueOffset(keySize) + (long) valueStride * valueSlots;
    }

    /** A new ctrl word: the next generation, in {@code state}, WRITING and DOOMED cleared. */
    public static long next(long ctrl, int state) {
        return ((ctrl & ~(GEN_ONE - 1)) + GEN_ONE) | state;
    }
}
