package dev.sonde.maps;

import static dev.sonde.maps.RingBufLayout.*;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code BPF_MAP_TYPE_RINGBUF}: a multi-producer, single-consumer ring of variable-length records in a mapped
 * file ({@link RingBufLayout}). Producers {@link #reserve} space, write it through the handle and
 * {@link #commit} or {@link #discard} it; {@link RingBufConsumer} reads it. The key/value calls return
 * {@code -ENOTSUPP}, as the kernel's do.
 *
 * <p>Producers never wait: a reservation is one CAS on the producer position, and a full ring fails it at once
 * with {@code -EAGAIN} (the kernel's {@code bpf_ringbuf_reserve} returns NULL and {@code bpf_ringbuf_output}
 * turns that into -EAGAIN; Sonde uses -EAGAIN for both) and counts the drop. Records still reach the consumer in
 * reservation order: it stops at the first record that is not committed yet.
 *
 * <p>With {@link MapSpec#F_RB_OVERWRITE} a full ring instead overwrites its oldest committed records
 * ({@code BPF_F_RB_OVERWRITE}); a reservation fails only if the oldest record is still being written.
 */
public final class RingBuf extends BpfMap {
    /** {@code BPF_RB_NO_WAKEUP}: never wake the consumer. */
    public static final long NO_WAKEUP = 1;
    /** {@code BPF_RB_FORCE_WAKEUP}: always wake the consumer. */
    public static final long FORCE_WAKEUP = 2;

    /** {@link #query} selectors, as {@code BPF_RB_AVAIL_DATA} and friends. */
    public static final int AVAIL_DATA = 0;
    public static final int RING_SIZE = 1;
    public static final int CONS_POS = 2;
    public static final int PROD_POS = 3;
    public static final int OVERWRITE_POS = 4;

    private static final long WAKEUP_FLAGS = NO_WAKEUP | FORCE_WAKEUP;
    private static final int LEN_MASK = ~(BUSY_BIT | DISCARD_BIT);

    final int size;
    final long mask;
    final boolean overwrite;
    final int seqOffset;
    /** True for a ring opened from a file: its producers are in another process and cannot wake our consumer. */
    final boolean remote;
    /**
     * The largest record {@link #reserve} admits (the kernel's: its length must stay under the ring size), -1 when
     * read-only; and the sign bit when read-only, or'ed into a handle's offset before it is checked. With them each
     * hot check is one branch: the JIT turns every branch a check never takes into a deoptimization stub of ~40
     * bytes, and with one per condition reserve, putBytes and commit together compiled past the 2.5 KB up to which
     * the JIT inlines compiled code into a caller (InlineSmallCode; benchmarks/README.md, stop 23).
     *
     * <p>For the same reason {@link #putBytes}, {@link #commit} and {@link #discard} are small entries that call their
     * bodies. From JDK 18 on, C2 inlines a callee at a call site taken in under a quarter of its caller's runs only if
     * the callee has at most 35 bytes of bytecode (MaxInlineSize) and no compiled code of its own over 625 bytes
     * (JDK-8272873). A producer whose ring is full three attempts in four skips putBytes and commit that often: on
     * JDK 25 both were then calls ("too big" at 69 and 40 bytes, "already compiled into a medium method"). Entries of
     * 8 to 25 bytes are inlined by C1 and C2 alike, and their bodies' calls, taken on every run of the entry, are
     * frequent (stop 24).
     */
    private final int maxReserve;
    private final long readOnlyBit;
    /** The consumer thread while it is about to park, for the committing producer to unpark. */
    volatile Thread waiter;
    /** The consumer side, made when a consumer first adds this ring ({@link #reader}). */
    private RingBufReader reader;
    /**
     * The producers' copy of the consumer position (at {@link #CACHED}, a cache line away from anything else), as
     * the Disruptor's gating-sequence cache: reserve reads the real position, on the consumer's hot line, only when
     * the copy says the record would not fit. The copy only lags, so a record it admits always fits.
     */
    private final long[] consumerCache = new long[2 * CACHED];
    private static final int CACHED = 8;
    private static final java.lang.invoke.VarHandle CACHE = java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);
    /**
     * Non-zero while this process's consumer is inside {@link RingBufReader#consume}, or awake in
     * {@link RingBufConsumer#poll} (which leaves it set when it returns records), at {@link #CACHED}, on a line of
     * its own: it will read a record committed meanwhile itself, or re-check it after its fence before it parks,
     * so a commit need not read the consumer position, on the line the consumer writes as it goes.
     */
    private final long[] consuming = new long[2 * CACHED];

    RingBuf(MapSpec spec, int id, MapFile file, boolean readOnly, boolean remote) {
        super(spec, id, file, readOnly);
        this.size = spec.maxEntries();
        this.mask = size - 1;
        this.overwrite = spec.hasFlag(MapSpec.F_RB_OVERWRITE);
        this.seqOffset = RingBufLayout.seqOffset(size);
        this.remote = remote;
        this.maxReserve = readOnly ? -1 : Math.min(MAX_RECORD_SIZE, size - 2 * HEADER_SIZE);
        this.readOnlyBit = readOnly ? Long.MIN_VALUE : 0;
    }

    /** The spec checks of {@code ringbuf_map_alloc()}. */
    static void validate(MapSpec spec) {
        String what = spec.name() == null ? "ringbuf map" : "ringbuf map '" + spec.name() + "'";
        if (spec.keySize() != 0 || spec.valueSize() != 0) {
            throw new SondeException(Errno.EINVAL, what + ": key_size " + spec.keySize() + " and value_size "
                    + spec.valueSize() + " must be 0; a ringbuf has no keys or values, size it with max_entries");
        }
        int n = spec.maxEntries();
        if (n <= 0 || Integer.bitCount(n) != 1 || n % PAGE_SIZE != 0) {
            throw new SondeException(Errno.EINVAL, what + ": max_entries " + n + " is the data size and must be a "
                    + "power of 2 and a multiple of " + PAGE_SIZE + "; use for example 262144");
        }
        if (n > MAX_DATA_SIZE) {
            throw new SondeException(Errno.E2BIG, what + ": max_entries " + n + " is larger than the " + MAX_DATA_SIZE
                    + " bytes one ring file can hold; use " + MAX_DATA_SIZE + " or less");
        }
        if ((spec.flags() & ~MapSpec.F_RB_OVERWRITE) != 0) {
            throw new SondeException(Errno.EINVAL, what + ": flags 0x" + Long.toHexString(spec.flags())
                    + " are not supported; a ringbuf accepts only MapSpec.F_RB_OVERWRITE");
        }
    }

    // ---- producer side ---------------------------------------------------------------------------------------

    /**
     * Reserves {@code size} bytes: the handle of the record's data (≥ 0, an absolute offset for
     * {@link #putLong}, {@link #putInt} and {@link #putBytes}), or -EAGAIN when the ring is full, -E2BIG when the
     * record could never fit, -EINVAL for a negative size, -EPERM on a ring opened read-only.
     */
    public long reserve(int size) {
        // One test for every refusal, told apart off the hot path: small hot methods inline into the caller.
        // recordLength(size) < this.size exactly when size <= this.size - 16.
        if ((size | (maxReserve - size)) < 0) {
            return refuse(size);
        }
        if (overwrite) {
            return reserveOverwriting(size);
        }
        ByteBuffer m = mem;
        int len = recordLength(size);
        long p;
        do {
            // Acquire: a producer that sees this position sees the headers (and stamps) written before it moved.
            p = HotMemory.getLongAcquire(m, PRODUCER_POS_OFFSET);
            if (p + len - (long) CACHE.getAcquire(consumerCache, CACHED) > mask && !consumerFreed(p + len)) {
                return drop();
            }
            // CAS where the kernel takes a spin lock: a loser retries at once, nobody waits for a descheduled holder.
        } while (!HotMemory.compareAndSetLong(m, PRODUCER_POS_OFFSET, p, p + len));
        // Volatile, after the CAS (a full fence): Dekker with the consumer, which clears the mark, fences, then
        // reads the producer position before it parks (RingBufConsumer.await). A claim that saw the mark is seen
        // there, so its commit may skip the exchange and the wake-up check (QUIET_BIT).
        // The mark is 0 or 1, so shifted it is QUIET_BIT or nothing: no branch (see reservedLength).
        return writeBusyHeader(m, p, size, (int) (long) CACHE.getVolatile(consuming, CACHED) << 31);
    }

    /** Which refusal of {@link #reserve} applies: the read-only ring first, then a negative size, then too big. */
    private long refuse(int size) {
        if (readOnly) {
            return -Errno.EPERM;
        }
        // The kernel refuses len > ring size, and len == ring size can never fit: the producer may be at most
        // size - 1 bytes ahead of the consumer. Both are -E2BIG here, so a caller can tell them from "full".
        return size < 0 ? -Errno.EINVAL : -Errno.E2BIG;
    }

    /**
     * The producers' copy of the consumer position says the record ending at {@code newP} would not fit: reads the
     * real position, on the consumer's hot line, and refreshes the copy when the record fits after all.
     */
    private boolean consumerFreed(long newP) {
        // Acquire on the consumer position: its reads of the freed space happened before we reuse it.
        long c = HotMemory.getLongAcquire(mem, CONSUMER_POS_OFFSET);
        if (newP - c > mask) {
            return false;
        }
        // Release, paired with the acquire in reserve: a producer that admits a record by the copy inherits the
        // consumer's happens-before. Racing refreshes may store an older value: it only lags more.
        CACHE.setRelease(consumerCache, CACHED, c);
        return true;
    }

    private long reserveOverwriting(int size) {
        int len = recordLength(size);
        long p;
        do {
            p = HotMemory.getLongAcquire(mem, PRODUCER_POS_OFFSET);
            if (!makeRoom(p + len)) {
                return drop();
            }
        } while (!HotMemory.compareAndSetLong(mem, PRODUCER_POS_OFFSET, p, p + len));
        return writeBusyHeader(mem, p, size, 0);
    }

    /**
     * Writes the BUSY header of the record claimed at position {@code p}, then, in overwrite mode, its stamp; returns
     * the record's handle. Both offsets are {@code p & mask} into the data area and its stamp array, so raw stores
     * stay in the file. An ordinary ring needs no stamp: its consumer zeroed this space when it consumed it, so
     * until this store the word reads zero, "not written yet" (RingBufLayout). {@code quietBit}: {@code QUIET_BIT}
     * when the claim saw this process's consumer awake, for the commit; else 0.
     */
    private long writeBusyHeader(ByteBuffer m, long p, int size, int quietBit) {
        int r = (int) (p & mask);
        int hdr = DATA_OFFSET + r;
        int pgOff = pageOffset(r) | quietBit;
        // Release (a plain store on x86): an overwrite-mode consumer that reads this header also sees the
        // overwrite position that let us reuse the space, and so knows the old record it was reading is gone.
        HotMemory.putLongRelease(m, hdr, ((size | BUSY_BIT) & 0xFFFF_FFFFL) | ((long) pgOff << 32));
        if (overwrite) {
            // Release: whoever sees the stamp sees the BUSY header written above.
            HotMemory.putLongRelease(m, seqOffset + (r >>> 3) * 8, p + 1);
        }
        return hdr + HEADER_SIZE;
    }

    /** Overwrite mode: moves the overwrite position over the oldest committed records until {@code newP} fits. */
    private boolean makeRoom(long newP) {
        for (;;) {
            // Acquire: the records this walker reads below were complete when another walker passed them.
            long o = HotMemory.getLongAcquire(mem, OVERWRITE_POS_OFFSET);
            if (newP - o <= mask) {
                return true;
            }
            int r = (int) (o & mask);
            // Acquire on the stamp, then on the length: the oldest record must be fully reserved and committed,
            // or we would step over a record a producer is still writing (the kernel's pending_pos rule).
            if (HotMemory.getLongAcquire(mem, seqOffset + (r >>> 3) * 8) != o + 1) {
                return false;
            }
            int lenWord = HotMemory.getIntAcquire(mem, DATA_OFFSET + r);
            if ((lenWord & BUSY_BIT) != 0) {
                return false;
            }
            int len = recordLength(lenWord & LEN_MASK);
            // The CAS validates what we read: had another walker passed o, the record might be new data.
            if (HotMemory.compareAndSetLong(mem, OVERWRITE_POS_OFFSET, o, o + len)) {
                // Unread bytes lost; approximate while a consumer runs, which may be reading this record now.
                if (o >= HotMemory.getLongAcquire(mem, CONSUMER_POS_OFFSET)) {
                    HotMemory.getAndAddLong(mem, OVERWRITTEN_BYTES_OFFSET, len);
                }
            }
        }
    }

    private int drop() {
        count(DROPPED_STRIPES_OFFSET);
        return -Errno.EAGAIN;
    }

    /**
     * Adds one to the calling thread's stripe of a record count. Atomic, since threads share stripes; no ordering
     * needed: a statistic, read by whoever asks. Striped because with the ring full every producer thread counts
     * on every attempt: on one line, two threads failed at 153 ops/µs together, where one alone failed at 395.
     */
    private void count(int stripes) {
        HotMemory.getAndAddLong(mem, stripes + 64 * Shards.current(COUNTER_STRIPES), 1L);
    }

    /** A record count: the sum of its stripes. */
    private long countOf(int stripes) {
        long sum = 0;
        for (int s = 0; s < COUNTER_STRIPES; s++) {
            sum += (long) MapMemory.LONG.getAcquire(mem, stripes + 64 * s);
        }
        return sum;
    }

    /**
     * Copies {@code length} bytes of {@code src} into the reserved record at {@code offset}: 0, or -EINVAL when
     * the range is outside the record or the handle is not a reserved record.
     */
    public int putBytes(long handle, int offset, byte[] src, int srcOffset, int length) {
        return copyIn(handle, offset, src, srcOffset, length); // a small entry (see maxReserve)
    }

    private int copyIn(long handle, int offset, byte[] src, int srcOffset, int length) {
        int len = reservedLength(handle);
        // One branch for every refusal (see maxReserve); in longs, where the differences cannot overflow.
        if (((len | offset | length | srcOffset) | ((long) len - offset - length)
                | ((long) src.length - srcOffset - length)) < 0) {
            return -Errno.EINVAL;
        }
        // Inside the record, which reservedLength keeps inside the data area and its mirror: safe unchecked.
        HotCopy.copy(mem, (int) handle + offset, src, srcOffset, length);
        return 0;
    }

    /**
     * Stores into a reserved record, as a program's store through {@code bpf_ringbuf_reserve}'s pointer. Plain: no
     * reader sees the record before commit publishes it. A store that would land outside the data area
     * and its mirror (a made-up handle or offset), or into a ring opened read-only, is ignored: raw stores are
     * unchecked. Within the area the record's own bounds are the caller's, as the verifier's are the program's;
     * checking them would read the header on every store (a span record makes seventeen).
     */
    @Override
    public void putLong(long handle, int offset, long value) {
        if (inData(handle, offset, 8)) {
            HotMemory.putLong(mem, (int) handle + offset, value);
        }
    }

    @Override
    public void putInt(long handle, int offset, int value) {
        if (inData(handle, offset, 4)) {
            HotMemory.putInt(mem, (int) handle + offset, value);
        }
    }

    /** Whether {@code n} bytes at {@code handle + offset} lie in the data area or its mirror of a writable ring. */
    private boolean inData(long handle, int offset, int n) {
        // One unsigned compare, one branch (see maxReserve): anything below the data area, past the mirror or
        // overflowed is a huge difference, and so is everything in a read-only ring.
        return Long.compareUnsigned((handle + offset - DATA_OFFSET) | readOnlyBit, 2L * size - n) <= 0;
    }

    /**
     * Commit flags that batch wake-ups by position, the adaptive notification BPF producers build from
     * {@code BPF_RB_NO_WAKEUP} and {@code BPF_RB_FORCE_WAKEUP}: FORCE_WAKEUP for a record of {@code size} bytes
     * reserved at {@code handle} that starts a quarter of the ring or reaches into the next one, NO_WAKEUP for the
     * rest. A sleeping consumer is then woken about four times a lap, however many threads produce, so the ring
     * never fills behind its back; one that polls with a time-out picks up a slow trickle when it times out.
     * Producers stop paying the exchange and, when the consumer keeps up, an {@code unpark} per record.
     */
    public long batchedWakeup(long handle, int size) {
        int quarter = this.size >>> 2;
        int r = (int) handle - HEADER_SIZE - DATA_OFFSET;
        int end = r + recordLength(size);
        return (r & (quarter - 1)) == 0 || ((r ^ end) & -quarter) != 0 ? FORCE_WAKEUP : NO_WAKEUP;
    }

    /** Commits a reserved record: 0, or -EINVAL for unknown flags or a handle that is not a reserved record. */
    public int commit(long handle, long flags) {
        return end(handle, flags, 0); // a small entry (see maxReserve)
    }

    /** Discards a reserved record: the consumer skips it. 0 or -EINVAL, as {@link #commit}. */
    public int discard(long handle, long flags) {
        int r = end(handle, flags, DISCARD_BIT);
        if (r == 0) {
            count(DISCARDED_STRIPES_OFFSET);
        }
        return r;
    }

    /** Commit or discard ({@code discardBit}): the checks, then the publication. */
    private int end(long handle, long flags, int discardBit) {
        int len = reservedLength(handle);
        if (((flags & ~WAKEUP_FLAGS) | (len >>> 31)) != 0) { // one branch (see maxReserve)
            return -Errno.EINVAL;
        }
        publish((int) handle, len, len | discardBit, flags);
        return 0;
    }

    /** {@code bpf_ringbuf_output}: reserve, copy, commit. 0, -EAGAIN when full, -E2BIG, -EINVAL for bad flags. */
    public int output(byte[] data, long flags) {
        if ((flags & ~WAKEUP_FLAGS) != 0) {
            return -Errno.EINVAL;
        }
        long h = reserve(data.length);
        if (h < 0) {
            return (int) h;
        }
        // A fresh reservation of data.length bytes: layout-bounded, safe unchecked.
        HotCopy.copy(mem, (int) h, data, 0, data.length);
        publish((int) h, data.length, data.length, flags);
        return 0;
    }

    /** As {@link #output(byte[], long)} with the bytes between {@code data}'s position and limit (left unchanged). */
    public int output(ByteBuffer data, long flags) {
        if ((flags & ~WAKEUP_FLAGS) != 0) {
            return -Errno.EINVAL;
        }
        int n = data.remaining();
        long h = reserve(n);
        if (h < 0) {
            return (int) h;
        }
        mem.put((int) h, data, data.position(), n);
        publish((int) h, n, n, flags);
        return 0;
    }

    /**
     * The data length of the reserved (BUSY) record at {@code handle}, or -1. Every raw access through a caller's
     * handle is checked here first: the header must lie in the data area, 8-aligned, be BUSY, and its length be
     * one a reservation can have, so that the record ends inside the mirror. A made-up handle into a record's
     * payload may find any bytes there, a "length" of 2^30 - 1 included.
     */
    private int reservedLength(long handle) {
        long r = handle - HEADER_SIZE - DATA_OFFSET;
        // In the data area and 8-aligned: no bit set outside those of size - 8 (a power of two's). One branch
        // (see maxReserve).
        if (((r | readOnlyBit) & ~(long) (size - 8)) != 0) {
            return -1;
        }
        // Plain (was opaque): the calling producer wrote this header itself when it reserved, earlier in its own
        // program order; a concurrent writer of these bytes means the handle was not the caller's anyway.
        int lenWord = HotMemory.getInt(mem, DATA_OFFSET + (int) r);
        int len = lenWord & LEN_MASK;
        // reserve admits recordLength(len) < size only, so a real record is shorter than this.
        // BUSY is the sign bit: ~lenWord is negative when it is clear.
        return ((size - 2 * HEADER_SIZE - len) | ~lenWord) < 0 ? -1 : len;
    }

    /**
     * Ends the reserved record at {@code handle} ({@code len} data bytes) with {@code lenWord}, then maybe wakes.
     * The exchange and the quiet commit's wake-up are methods of their own, so that a caller whose profile never
     * takes them does not carry their code (see maxReserve for why a producer's compiled size matters).
     */
    private void publish(int handle, int len, int lenWord, long flags) {
        ByteBuffer m = mem;
        int hdr = handle - HEADER_SIZE;
        int r = hdr - DATA_OFFSET;
        if (r + HEADER_SIZE + len > size) {
            copyWrappedTail(r + HEADER_SIZE + len - size);
        }
        int pgOff = HotMemory.getInt(m, hdr + 4); // plain: this thread wrote it when it reserved
        if ((pgOff & QUIET_BIT) == 0) {
            if (flags == NO_WAKEUP) {
                // Release: the record is published and, with no wake-up to decide, no consumer-position read
                // follows that a fence would have to order after it. The kernel exchanges here too; a program that
                // batches its wake-ups (NO_WAKEUP, then FORCE_WAKEUP every so often) saves a locked instruction.
                HotMemory.putIntRelease(m, hdr, lenWord);
            } else {
                exchange(m, hdr, r, lenWord, flags);
            }
        } else if ((flags & FORCE_WAKEUP) == 0) {
            // Release: a quiet claim was made while the consumer was awake, which then either reads this record or,
            // about to park, sees the claim and parks in short steps, so no consumer-position read follows that a
            // fence would have to order. At 64-byte records the kernel's exchange here is a fifth of a two-producer
            // row's time (RingFloorBenchmark, 2026-11-30). The QUIET mark goes with it.
            HotMemory.putLongRelease(m, hdr, (lenWord & 0xFFFF_FFFFL) | ((long) (pgOff & ~QUIET_BIT) << 32));
            // Under the default flags it still wakes a consumer that parked meanwhile and that it can see has
            // (volatile read). One it cannot see yet wakes itself: it saw this claim outstanding before it parked.
            if (flags == 0 && waiter != null) {
                wakeParked(m, r);
            }
        } else {
            HotMemory.putInt(m, hdr + 4, pgOff & ~QUIET_BIT); // plain: the exchange releases it
            exchange(m, hdr, r, lenWord, flags);
        }
    }

    /** The kernel's commit: publish with an exchange, then wake the consumer as the flags and self-pacing say. */
    private void exchange(ByteBuffer m, int hdr, int r, int lenWord, long flags) {
        // Exchange, as the kernel's xchg(): a full fence, so the record is published (release) and the consumer
        // position read below cannot move before it; a consumer about to park either sees this commit or is seen.
        HotMemory.getAndSetInt(m, hdr, lenWord);
        // FORCE_WAKEUP wins over NO_WAKEUP. Self-pacing otherwise: only a consumer that has caught up to this very
        // record is waiting for it. Volatile, to pair with the consumer's volatile store of its position before it
        // announces that it sleeps.
        if ((flags & FORCE_WAKEUP) != 0 || ((flags & NO_WAKEUP) == 0 && waitsAt(m, r))) {
            wakeUp();
        }
    }

    /** A quiet commit saw a consumer registered to park: the fence orders its position read after the record. */
    private void wakeParked(ByteBuffer m, int r) {
        VarHandle.fullFence();
        if (waitsAt(m, r)) {
            wakeUp();
        }
    }

    /**
     * Self-pacing: whether the consumer has caught up to the record at data offset {@code r} and may be asleep
     * waiting for it. Called after the commit's exchange (a full fence).
     */
    private boolean waitsAt(ByteBuffer m, int r) {
        // A consumer inside consume() is not asleep. Dekker again: it clears the flag before the fence it issues
        // ahead of any park, then re-checks the ring; seeing the flag still set after our exchange means that
        // re-check, or the loop still running, sees this commit.
        if ((long) CACHE.getVolatile(consuming, CACHED) != 0) {
            return false;
        }
        // Volatile, to pair with the consumer's volatile store of its position before it announces that it sleeps.
        return (HotMemory.getLongVolatile(m, CONSUMER_POS_OFFSET) & mask) == r;
    }

    /** The local consumer enters ({@code true}) or leaves its loop; see {@link #consuming}. */
    void consuming(boolean inside) {
        // Opaque: entering needs no order (a producer that sees the flag early still relies on the re-check), and
        // leaving is ordered by the full fence poll issues before it parks.
        CACHE.setOpaque(consuming, CACHED, inside ? 1L : 0L);
    }

    /** A record that wraps was written on into the mirror; puts its {@code past} bytes where the kernel has them. */
    private void copyWrappedTail(int past) {
        mem.put(DATA_OFFSET, mem, DATA_OFFSET + size, past);
    }

    private void wakeUp() {
        HotMemory.getAndAddLong(mem, WAKEUPS_OFFSET, 1L);
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    // ---- queries and counters --------------------------------------------------------------------------------

    /** {@code bpf_ringbuf_query}: {@link #AVAIL_DATA}, {@link #RING_SIZE}, positions; 0 for anything else. */
    public long query(int what) {
        switch (what) {
            case AVAIL_DATA: {
                long c = consumerPos();
                long p = producerPos();
                return overwrite ? p - Math.max(c, overwritePos()) : p - c;
            }
            case RING_SIZE:
                return size;
            case CONS_POS:
                return consumerPos();
            case PROD_POS:
                return producerPos();
            case OVERWRITE_POS:
                return overwritePos();
            default:
                return 0;
        }
    }

    /** Positions and counters are read with acquire, as {@code bpf_ringbuf_query}'s {@code smp_load_acquire}. */
    long consumerPos() {
        // The whole file's map: a consumer of a ring opened from its file writes the position through a map of
        // its own (reader()), the same shared pages.
        return HotMemory.getLongAcquire(mem, CONSUMER_POS_OFFSET);
    }

    long producerPos() {
        return HotMemory.getLongAcquire(mem, PRODUCER_POS_OFFSET);
    }

    long overwritePos() {
        return HotMemory.getLongAcquire(mem, OVERWRITE_POS_OFFSET);
    }

    /** Reservations that failed because the ring was full. */
    public long droppedRecords() {
        return countOf(DROPPED_STRIPES_OFFSET);
    }

    /** Records discarded by their producers. */
    public long discardedRecords() {
        return countOf(DISCARDED_STRIPES_OFFSET);
    }

    /** Overwrite mode: bytes of records overwritten before the consumer read them (exact without a concurrent consumer). */
    public long overwrittenBytes() {
        return (long) MapMemory.LONG.getAcquire(mem, OVERWRITTEN_BYTES_OFFSET);
    }

    /** Commits that decided to wake the consumer (the kernel's {@code irq_work_queue} calls). */
    public long wakeups() {
        return (long) MapMemory.LONG.getAcquire(mem, WAKEUPS_OFFSET);
    }

    public boolean overwriteMode() {
        return overwrite;
    }

    /**
     * The consumer side, made when a consumer first adds this ring. A ring opened from its file (another process's,
     * or a dead JVM's) then maps writable the two parts a consumer writes: the consumer page (its position, as the
     * kernel lets user space map it) and, for an ordinary ring, the data area, where it zeroes what it consumed. An
     * overwrite-mode ring allocates its copy buffer. Until then a ring that is only inspected (the CLI's list and
     * show, a query) maps nothing writable and holds no ring-sized buffer.
     */
    synchronized RingBufReader reader() {
        if (reader == null) {
            reader = readOnly
                    ? new RingBufReader(this, file.mapRegion(CONSUMER_PAGE_OFFSET, PAGE_SIZE, true), 0,
                            overwrite ? null : file.mapRegion(DATA_OFFSET, size, true), 0)
                    : new RingBufReader(this, mem, CONSUMER_POS_OFFSET, mem, DATA_OFFSET);
        }
        return reader;
    }

    ByteBuffer memory() {
        return mem;
    }
}
