package dev.sonde.maps;

import static dev.sonde.maps.RingBufLayout.*;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The consumer side of one ring, as libbpf's {@code ringbuf_process_ring()}: walks committed records from the
 * consumer position, hands each to the callback and releases the space behind it. Single-threaded, like the
 * kernel's one consumer per ring; allocation-free per record.
 */
final class RingBufReader {
    private static final int LEN_MASK = ~(BUSY_BIT | DISCARD_BIT);

    private final RingBuf ring;
    private final ByteBuffer mem;
    /** Where the consumer position lives: the whole file when writable, a writable map of its page otherwise. */
    private final ByteBuffer consBuf;
    private final int consOffset;
    private final long mask;
    private final int seqOffset;
    private final int size;
    /** How many consumed bytes {@link #consumeCommitted} gathers before it gives them back to producers. */
    private final long releaseBytes;
    /**
     * Where the consumer zeroes what it consumed (an ordinary ring): the whole file when writable; else a writable
     * map of the data area, the one part besides the consumer page that a consumer in another process writes.
     */
    private final ByteBuffer zeroBuf;
    private final int zeroOffset;
    /** Zero-copy view of data area and mirror; a wrapped record is contiguous there. */
    private final ByteBuffer view;
    /** Overwrite mode: producers may reuse a record while we read it, so records are copied here and validated. */
    private final ByteBuffer scratch;
    private final ByteBuffer scratchView;

    RingBufReader(RingBuf ring, ByteBuffer consBuf, int consOffset, ByteBuffer zeroBuf, int zeroOffset) {
        this.ring = ring;
        this.mem = ring.memory();
        this.consBuf = consBuf;
        this.consOffset = consOffset;
        this.mask = ring.mask;
        this.seqOffset = ring.seqOffset;
        this.size = ring.size;
        this.releaseBytes = ring.size >>> 6;
        this.zeroBuf = zeroBuf;
        this.zeroOffset = zeroOffset;
        this.view = mem.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (ring.overwrite) {
            scratch = ByteBuffer.allocateDirect(ring.size).order(ByteOrder.LITTLE_ENDIAN);
            scratchView = scratch.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        } else {
            scratch = null;
            scratchView = null;
        }
    }

    /** The consumer position, as this reader last wrote it (the consumer thread only). */
    long position() {
        return HotMemory.getLong(consBuf, consOffset); // plain: our own store
    }

    int size() {
        return size;
    }

    /** True when the record at the consumer position is committed or discarded (something to do). */
    boolean ready() {
        long c = HotMemory.getLongAcquire(consBuf, consOffset);
        if (ring.overwrite) {
            c = Math.max(c, ring.overwritePos());
            return c < ring.producerPos() && (headerAt(c) & BUSY_BIT) == 0;
        }
        // A header word alone proves a producer moved past c (it writes the header after its CAS): no need to read
        // the producer position, the line every producer writes.
        return committed(HotMemory.getLongAcquire(mem, DATA_OFFSET + (int) (c & mask)));
    }

    /**
     * Whether the record at the consumer position is claimed and may be committed without waking the consumer:
     * anything but a BUSY header without {@code QUIET_BIT}, whose commit exchanges and checks for a waiter. A header
     * not written yet may be a quiet claim; a committed one may be a quiet commit that read the waiter before ours
     * was visible, and parking until woken behind it would leave it unread. Read by a consumer about to park, after
     * its fence, which pairs with the fence of the claim's CAS (nothing claimed: every later claim sees the consumer
     * asleep, and is not quiet). Only that record matters: the consumer cannot pass it, and once it is consumed the
     * records after it are read in the same pass. Overwrite rings have no quiet claims.
     */
    boolean quietClaim() {
        if (ring.overwrite) {
            return false;
        }
        long c = HotMemory.getLongAcquire(consBuf, consOffset);
        if (ring.producerPos() == c) {
            return false;
        }
        long header = HotMemory.getLongAcquire(mem, DATA_OFFSET + (int) (c & mask));
        return ((int) header & BUSY_BIT) == 0 || ((int) (header >>> 32) & QUIET_BIT) != 0;
    }

    /**
     * Whether an ordinary ring's header word is a record to consume (committed or discarded): zero is a claim whose
     * header is not written yet, since the consumer zeroed the space (RingBufLayout), and BUSY one not committed.
     */
    private static boolean committed(long header) {
        return header != 0 && ((int) header & BUSY_BIT) == 0;
    }

    /** Announces the consumer's position with a volatile store, ordered before the waiter's announcement. */
    void publishPositionVolatile() {
        long c = (long) MapMemory.LONG.getOpaque(consBuf, consOffset);
        MapMemory.LONG.setVolatile(consBuf, consOffset, c);
    }

    /** Overwrite mode: the length word at position {@code c}, or BUSY_BIT when its stamp says not written yet. */
    private int headerAt(long c) {
        int r = (int) (c & mask);
        // Acquire on the stamp: a stamp equal to our position means the header below is this lap's.
        if (HotMemory.getLongAcquire(mem, seqOffset + (r >>> 3) * 8) != c + 1) {
            return BUSY_BIT;
        }
        // Acquire on the length: a committed length means the record's data is visible (commit releases it).
        return HotMemory.getIntAcquire(mem, DATA_OFFSET + r);
    }

    /**
     * Consumes up to {@code max} records: the number handed to {@code cb}, or the callback's negative return (the
     * record that returned it counts as consumed, as in libbpf).
     */
    int consume(RingBufCallback cb, int max) {
        if (ring.overwrite) {
            return consumeOverwriting(cb, max);
        }
        ring.consuming(true);
        try {
            return consumeCommitted(cb, max);
        } finally {
            ring.consuming(false);
        }
    }

    /** As {@link #consume}, for a poller that has marked the ring as being consumed for all of its awake phase. */
    int consumeAwake(RingBufCallback cb, int max) {
        return ring.overwrite ? consumeOverwriting(cb, max) : consumeCommitted(cb, max);
    }

    /**
     * The usual ring: nothing moves a record under us. Small enough to compile well on its own; fields are read once
     * into locals, which the acquire loads would otherwise force to be reloaded each record. Raw accesses only: every
     * offset is {@code c & mask} into the data area, a record the length check bounds, or the consumer position.
     *
     * <p>The position is released every {@link #releaseBytes} (a 64th of the ring) and when the call returns, where
     * libbpf releases it after each record. A full ring released record by record is refilled record by record:
     * the producer that takes the space just freed writes into the cache line the consumer is reading the next
     * records from, and every failing producer reads the position line the consumer writes after each record.
     * Released a 64th at a time, two producers of 8-byte records got 31.8-51.4 records/µs through, against
     * 16.7-26.4 (RingBufBenchmark, alternated three times, 2026-11-30). Agrona's consumer, and the Disruptor's,
     * also give space back once per batch. The cost: a producer may find the ring full while up to a 64th of it is
     * read but not yet given back.
     */
    private int consumeCommitted(RingBufCallback cb, int max) {
        ByteBuffer m = mem;
        ByteBuffer pos = consBuf;
        int posOffset = consOffset;
        ByteBuffer v = view;
        long chunk = releaseBytes;
        // Plain (was opaque): this thread is the only writer of the consumer position, so it reads its own store.
        long c = HotMemory.getLong(pos, posOffset);
        long released = c;
        int n = 0;
        try {
            while (n < max) {
                int r = (int) (c & mask);
                // Acquire on the header word: zero until a producer has claimed c (its CAS moved the producer
                // position past c; that position is never read here: every producer writes its line) and written
                // its header, since we zeroed this space when we consumed it the lap before; a committed length
                // means the record's data is visible (commit releases it).
                long header = HotMemory.getLongAcquire(m, DATA_OFFSET + r);
                if (!committed(header)) {
                    break;
                }
                int lenWord = (int) header;
                int len = lenWord & LEN_MASK;
                if (len > size - 2 * HEADER_SIZE) {
                    throw corrupt(c, len); // reserve admits no such record, and zero() must stay in the data area
                }
                int ret = 0;
                if ((lenWord & DISCARD_BIT) == 0) {
                    int start = DATA_OFFSET + r + HEADER_SIZE;
                    v.clear();
                    v.limit(start + len).position(start);
                    v.order(ByteOrder.LITTLE_ENDIAN);
                    ret = cb.onRecord(v);
                    n++;
                }
                // Past a record only once its callback returned: one that throws gets the record again.
                c += recordLength(len);
                if (ret < 0) {
                    return ret;
                }
                if (c - released >= chunk) {
                    zero(released, c);
                    // Release: our reads of these records, and the zeroes that tell the next lap's stale bytes from
                    // a header, happen before a producer that sees this position reuses the space.
                    HotMemory.putLongRelease(pos, posOffset, c);
                    released = c;
                }
            }
            return n;
        } finally {
            if (c != released) {
                zero(released, c);
                HotMemory.putLongRelease(pos, posOffset, c); // as above
            }
        }
    }

    private SondeException corrupt(long c, int len) {
        return new SondeException(Errno.EINVAL, "ringbuf map '" + ring.name() + "': the record header at position " + c
                + " says " + len + " bytes, more than the ring's " + size + " can hold; the file was changed by "
                + "something other than Sonde's producers: re-create the map");
    }

    /**
     * Zeroes the consumed records between positions {@code from} and {@code to}, the part that wrapped too: any of
     * their words may hold a header in a later lap, where zero means "not written yet". Called just before the
     * position that gives them back is released, not record by record: a consumer that has caught up reads the
     * line a producer is writing the next records into, and a store there took that line back from the producer
     * for every record. Zeroed a release at a time, two producers of 8-byte records got 27.3-27.6 records/µs
     * through, against 23.4-25.7, and of 64-byte records 18.4-18.9 against 14.7-15.0 (RingBufBenchmark,
     * alternated twice, stop 25). Agrona's consumer also zeroes its batch when it is done with it.
     *
     * <p>Raw stores: every claimed record lies within a ring's size of the released position (a producer admits
     * a record only there), so {@code to - from < size} and the range wraps at most once; the lengths summed come
     * from headers the ring's arithmetic bounds.
     */
    private void zero(long from, long to) {
        int r = (int) (from & mask);
        int length = (int) (to - from);
        ByteBuffer z = zeroBuf;
        int at = zeroOffset + r;
        int first = r + length <= size ? length : size - r;
        for (int i = 0; i < first; i += 8) {
            HotMemory.putLong(z, at + i, 0L);
        }
        for (int i = 0; i < length - first; i += 8) {
            HotMemory.putLong(z, zeroOffset + i, 0L);
        }
    }

    /** Overwrite mode: producers may reuse a record while we read it, so each is copied, then validated. */
    private int consumeOverwriting(RingBufCallback cb, int max) {
        long c = (long) MapMemory.LONG.getOpaque(consBuf, consOffset);
        long p = ring.producerPos();
        int n = 0;
        while (n < max) {
            long o = ring.overwritePos();
            if (o > c) {
                c = o;
                MapMemory.LONG.setRelease(consBuf, consOffset, c);
            }
            if (c >= p) {
                p = ring.producerPos();
                if (c >= p) {
                    break;
                }
            }
            int lenWord = headerAt(c);
            if ((lenWord & BUSY_BIT) != 0) {
                break;
            }
            int len = lenWord & LEN_MASK;
            boolean discarded = (lenWord & DISCARD_BIT) != 0;
            int start = DATA_OFFSET + (int) (c & mask) + HEADER_SIZE;
            // Copy, then validate, as StampedLock.validate does: an acquire fence, then the overwrite position.
            // Unmoved past c means nothing read was overwritten, the length included (a torn length must not move
            // us off the record boundaries).
            boolean fits = len <= ring.size - HEADER_SIZE;
            if (!discarded && fits) {
                scratch.put(0, mem, start, len);
            }
            VarHandle.acquireFence();
            if (ring.overwritePos() > c) {
                continue; // overwritten while we read: skip to the overwrite position
            }
            if (!fits) {
                break; // cannot happen for a record that stayed put; never trust it
            }
            c += recordLength(len);
            if (discarded) {
                MapMemory.LONG.setRelease(consBuf, consOffset, c);
                continue;
            }
            scratchView.clear();
            scratchView.limit(len);
            scratchView.order(ByteOrder.LITTLE_ENDIAN);
            int ret = cb.onRecord(scratchView);
            MapMemory.LONG.setRelease(consBuf, consOffset, c);
            if (ret < 0) {
                return ret;
            }
            n++;
        }
        return n;
    }
}
