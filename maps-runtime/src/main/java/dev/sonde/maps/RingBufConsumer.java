package dev.sonde.maps;

import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * libbpf's {@code struct ring_buffer}: one consumer over several rings, each with its callback. {@link #poll}
 * waits on all of them at once with this one thread, the way libbpf waits in {@code epoll_wait}: it announces
 * that it is about to sleep, checks every ring once more, then parks; a commit that must wake the consumer
 * (see {@link RingBuf#commit}) unparks it. Before that it spins a bounded number of times
 * ({@link #awaitBriefly}); an idle consumer then parks and spins no more. Under load it coalesces: a poll that
 * found records without parking makes the next one wait once, so they are read in batches ({@link #coalesce},
 * {@code RingBufCoalescer}).
 *
 * <p>A ring opened from another process's file has no shared wake-up, so while such a ring is added
 * {@code poll} backs off instead: a few spins, then parks growing from 1 µs to 1 ms.
 *
 * <p>Not thread-safe: one thread polls, as with libbpf.
 */
public final class RingBufConsumer implements AutoCloseable {
    /** Linux's EINTR: poll returns -EINTR when the polling thread is interrupted. */
    public static final int EINTR = 4;
    private static final long MAX_BACKOFF_NANOS = 1_000_000L;
    private static final int SPINS = 100;
    private static final int BRIEF_SPINS = 64;
    /** How long a consumer parks at first while a claim it will not be woken for is outstanding (then doubling). */
    private static final long CLAIM_PARK_NANOS = 50_000L;

    private RingBuf[] rings = new RingBuf[0];
    private RingBufReader[] readers = new RingBufReader[0];
    private RingBufCallback[] callbacks = new RingBufCallback[0];
    private boolean anyRemote;
    private boolean closed;
    /** How long {@link #await} parks behind a claim that will not wake it: see there. */
    private long claimPark = CLAIM_PARK_NANOS;
    /** Whether every ring's {@link RingBuf#consuming} mark is set by {@link #poll}, which leaves it set after records. */
    private boolean awake;
    private final RingBufCoalescer coalescer = new RingBufCoalescer();

    private RingBufConsumer() {
    }

    /** {@code ring_buffer__new}: a consumer of {@code ring}, records going to {@code cb}. */
    public static RingBufConsumer create(RingBuf ring, RingBufCallback cb) {
        RingBufConsumer c = new RingBufConsumer();
        c.add(ring, cb);
        return c;
    }

    /** {@code ring_buffer__add}: one more ring for this consumer. */
    public RingBufConsumer add(RingBuf ring, RingBufCallback cb) {
        if (closed) {
            throw new SondeException(Errno.EBADF, "this RingBufConsumer is closed; create a new one");
        }
        if (ring == null || cb == null) {
            throw new SondeException(Errno.EINVAL, "add(ring, callback) needs a ring and a callback, got "
                    + ring + " and " + cb);
        }
        for (RingBuf r : rings) {
            if (r == ring) {
                throw new SondeException(Errno.EEXIST, "ring '" + ring.name() + "' is already added to this "
                        + "consumer; add each ring once");
            }
        }
        int n = rings.length;
        rings = Arrays.copyOf(rings, n + 1);
        readers = Arrays.copyOf(readers, n + 1);
        callbacks = Arrays.copyOf(callbacks, n + 1);
        rings[n] = ring;
        readers[n] = ring.reader();
        callbacks[n] = cb;
        anyRemote |= ring.remote;
        coalescer.added(readers[n]);
        return this;
    }

    /** {@code ring_buffer__consume}: everything available now, without waiting. */
    public int consume() {
        return consumeN(Integer.MAX_VALUE);
    }

    /** {@code ring_buffer__consume_n}: at most {@code n} records, without waiting. */
    public int consumeN(int n) {
        checkOpen();
        return consumeN(n, awake);
    }

    /** {@code marked}: every ring is marked as being consumed (by {@link #poll}), so the readers leave the marks. */
    private int consumeN(int n, boolean marked) {
        long total = 0;
        for (int i = 0; i < readers.length && total < n; i++) {
            int max = (int) Math.min(Integer.MAX_VALUE, n - total);
            int got = marked ? readers[i].consumeAwake(callbacks[i], max) : readers[i].consume(callbacks[i], max);
            if (got < 0) {
                return got;
            }
            total += got;
        }
        return (int) Math.min(Integer.MAX_VALUE, total);
    }

    /**
     * {@code ring_buffer__poll}: waits up to {@code timeoutMs} (negative: forever, 0: not at all) for records,
     * then consumes what there is. Returns the records consumed, 0 on time-out, the callback's negative value, or
     * -EINTR if the thread is interrupted.
     */
    public int poll(int timeoutMs) {
        checkOpen();
        coalescer.lingerIfDue(this, timeoutMs);
        // Until it announces that it may sleep, this thread is awake and looks at every ring again before it
        // parks: commits meanwhile need not check whether it waits for them (RingBuf.waitsAt). With a consumer
        // that keeps up, that check read the consumer position, which this thread writes as it goes, and
        // decided a wake-up for one record in two (2026-11-30, one producer, 64-byte records).
        // The mark stays on when poll returns records: the caller is draining and calls again, and a mark set and
        // cleared on every call would move its cache line between this core and the producers' on every call.
        // Left on, it only spares commits a wake-up check while nobody parks: a poll that parks clears it first.
        boolean drained = false;
        boolean parked = false;
        if (!awake) {
            markAwake(true);
        }
        try {
            int got = consumeN(Integer.MAX_VALUE, true);
            if (got == 0 && timeoutMs != 0) {
                long deadline = timeoutMs < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMs * 1_000_000L;
                got = awaitBriefly();
                if (got == 0) {
                    parked = true;
                    got = await(timeoutMs, deadline);
                }
            }
            drained = got > 0;
            return got;
        } finally {
            if (!drained) {
                markAwake(false);
            }
            coalescer.polled(readers, drained && !parked);
        }
    }

    /**
     * Whether {@link #poll} coalesces (the default): after a poll that found records without parking for them, the
     * next one first waits once, briefly (about 80-130 µs on Linux), so that busy producers' records gather and
     * are read together; never when the ring could fill an eighth meanwhile at the rate records came in.
     * Throughput for latency under load, as a network card's interrupt coalescing; a trickle of records is read
     * as soon as it is woken for. Off: every poll looks at once.
     */
    public RingBufConsumer coalesce(boolean on) {
        coalescer.enable(on);
        return this;
    }

    /** How many times {@link #poll} has waited for records to gather ({@link #coalesce}). */
    public long lingers() {
        return coalescer.lingers();
    }

    /** Sets each ring's mark that its consumer is awake (see {@link RingBuf#consuming}). */
    private void markAwake(boolean on) {
        awake = on;
        for (RingBuf r : rings) {
            r.consuming(on);
        }
    }

    /** poll's sleeping phase: announce, re-check, park, until records, the deadline or an interrupt. */
    private int await(int timeoutMs, long deadline) {
        Thread me = Thread.currentThread();
        long backoff = 1_000L;
        int spins = 0;
        int got;
        try {
            for (;;) {
                announce(me);
                if (anyReady()) {
                    got = consume();
                    if (got != 0) {
                        return got;
                    }
                }
                long now = System.nanoTime();
                if (now - deadline >= 0 && timeoutMs >= 0) {
                    return 0;
                }
                if (me.isInterrupted()) {
                    return -EINTR;
                }
                long remaining = timeoutMs < 0 ? Long.MAX_VALUE : deadline - now;
                if (anyRemote) {
                    if (spins < SPINS) {
                        spins++;
                        Thread.onSpinWait();
                        continue;
                    }
                    LockSupport.parkNanos(this, Math.min(remaining, backoff));
                    backoff = Math.min(MAX_BACKOFF_NANOS, backoff * 2);
                } else if (anyQuietClaim()) {
                    // A claim made while we were awake may commit without waking us: park in short steps until it
                    // is committed. A producer preempted between reserve and commit may take a while, and one that
                    // never commits (a leaked reservation) stops the ring for good, as in the kernel.
                    long parked = System.nanoTime();
                    LockSupport.parkNanos(this, Math.min(remaining, claimPark));
                    // Woken early: that commit (default flags) saw us. Slept the step out: its commit decides no
                    // wake-up (NO_WAKEUP, a FORCE_WAKEUP to come) or never comes, so the next step is longer, as the
                    // sleep a NO_WAKEUP producer expects: a FORCE_WAKEUP still cuts it short.
                    claimPark = System.nanoTime() - parked < claimPark / 2 ? CLAIM_PARK_NANOS
                            : Math.min(MAX_BACKOFF_NANOS, claimPark * 2);
                } else if (timeoutMs < 0) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, remaining);
                }
            }
        } finally {
            for (RingBuf r : rings) {
                r.waiter = null;
            }
        }
    }

    /**
     * Before parking, a short phase of spins: a consumer that has caught up with busy producers usually finds the
     * next record committed within microseconds, and parking for it would cost a park, the producer's unpark call
     * and the wake-up latency for a handful of records. Bounded ({@link #BRIEF_SPINS}), so an idle consumer still
     * parks. No yields (the Disruptor's phased back-off has them): with more busy threads than cores, a yield hands
     * this core to a producer, which fills the ring while the consumer waits for a time slice, where a parked
     * consumer is woken with the scheduler's preference for sleepers. Dropping 16 yields raised one producer with
     * batched wake-ups from 38-46 to 46-49 records/µs at 8 bytes; at 64 bytes two producers lost up to a tenth
     * (benchmarks/README.md, stop 23); looking at the rings after 1, 2, 4, ... spins instead of after each raised
     * that row from 43-45 to 51-56 (stop 24). A producer preempted between reserve and commit needs none: its commit
     * wakes a parked consumer, or the consumer parks in steps behind its quiet claim (await). No waiter is
     * announced meanwhile, so commits do not unpark.
     */
    private int awaitBriefly() {
        for (int i = 0; i < BRIEF_SPINS; i++) {
            Thread.onSpinWait();
            // Looks at the rings after 1, 2, 4, ... 64 spins, not after each: every look reads the line a producer
            // is writing the next records into, and takes it from that producer's core.
            if ((i & (i + 1)) == 0 && anyReady()) {
                return consumeN(Integer.MAX_VALUE, true);
            }
        }
        return 0;
    }

    /**
     * Tells every ring's producers that we may sleep. The consumer position goes out first with a volatile
     * store, then the waiter (volatile): a producer whose commit (a full fence) comes after our check of that
     * record reads both, sees we caught up, and unparks us; one that comes before is seen by our check.
     */
    private void announce(Thread me) {
        markAwake(false); // ordered by the fence below, with the stores that follow
        for (int i = 0; i < rings.length; i++) {
            readers[i].publishPositionVolatile();
            rings[i].waiter = me;
        }
        // Full fence: the re-check's acquire loads must not move above these stores (store-buffering, as in
        // Dekker's protocol; the producer's side is the commit's exchange).
        VarHandle.fullFence();
    }

    private boolean anyQuietClaim() {
        for (RingBufReader r : readers) {
            if (r.quietClaim()) {
                return true;
            }
        }
        return false;
    }

    private boolean anyReady() {
        for (RingBufReader r : readers) {
            if (r.ready()) {
                return true;
            }
        }
        return false;
    }

    /** The rings this consumer reads. */
    public int ringCount() {
        return rings.length;
    }

    private void checkOpen() {
        if (closed) {
            throw new SondeException(Errno.EBADF, "this RingBufConsumer is closed; create a new one");
        }
    }

    /** {@code ring_buffer__free}: forgets the rings (they stay open; close them separately). */
    @Override
    public void close() {
        if (!closed) {
            markAwake(false);
        }
        closed = true;
        for (RingBuf r : rings) {
            r.waiter = null;
        }
        rings = new RingBuf[0];
        readers = new RingBufReader[0];
        callbacks = new RingBufCallback[0];
    }
}
