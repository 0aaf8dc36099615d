package dev.sonde.maps;

import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * Wake-up coalescing for {@link RingBufConsumer#poll}, as a network card's interrupt coalescing or perf's
 * {@code wakeup_watermark}: when producers keep the consumer busy, it waits a moment before it looks again, so that
 * records gather and it reads them in one pass over lines the producers are done with.
 *
 * <p>Why: a consumer that has caught up with busy producers reads each record as it is committed, on the cache line
 * the producers are writing the next records into. Every look moves that line to the consumer's core and back, and
 * on a machine with more busy threads than cores the consumer also takes a core's time from the producers for a
 * handful of records a call. Lingering once after such a poll, two producers of 8-byte records into a 1 MiB ring got
 * 47.8-51.4 records/µs through, against 24.4-31.2 for a consumer that looks at once (RingBufBenchmark on 2 vCPUs,
 * benchmarks/README.md, stop 26).
 *
 * <p>When: only after a poll that returned records without parking (the producers are busy; a consumer that had to
 * park for its records looks again at once, so a trickle keeps its latency). And only if the ring could not fill
 * meanwhile: at the inflow measured since the previous poll, each ring must fill less than an eighth of its size in
 * the time a linger has taken so far. Lingering adds that time to a record's latency, about 80-130 µs on Linux,
 * whose timer slack rounds a short park up; the consumer uses less CPU for it, not more.
 *
 * <p>What a linger is: one timed park with the ring's consuming mark still set, so producers commit quietly and wake
 * nobody, and the poll that follows reads what they committed meanwhile. No wake-up is missed: nothing waits for
 * one. Single-threaded, as the consumer.
 */
final class RingBufCoalescer {
    /** What a linger asks the scheduler for; Linux gives at least its timer slack (50 µs) more. */
    static final long PARK_NANOS = 20_000L;
    /** The linger's length assumed before one was measured: more than Linux takes, so the first is safe. */
    private static final long FIRST_GUESS_NANOS = 200_000L;

    private boolean enabled = true;
    /** Each ring's consumer position when the previous poll returned. */
    private long[] lastPos = new long[0];
    private long lastEnd;
    /** How long a linger has taken, a running average of the parks measured: what the fill rule assumes. */
    private long expectedNanos = FIRST_GUESS_NANOS;
    /** The previous poll says the next one lingers. */
    private boolean due;
    private long lingers;

    void enable(boolean on) {
        enabled = on;
        due &= on;
    }

    long lingers() {
        return lingers;
    }

    /** A ring was added: its position counts from now. */
    void added(RingBufReader reader) {
        lastPos = Arrays.copyOf(lastPos, lastPos.length + 1);
        lastPos[lastPos.length - 1] = reader.position();
        lastEnd = System.nanoTime();
        due = false;
    }

    /** Before a poll looks: lingers if the previous poll said so, within the poll's {@code timeoutMs} (not 0). */
    void lingerIfDue(Object blocker, int timeoutMs) {
        if (!due || timeoutMs == 0) {
            return;
        }
        due = false;
        long t0 = System.nanoTime();
        LockSupport.parkNanos(blocker, timeoutMs < 0 ? PARK_NANOS : Math.min(PARK_NANOS, timeoutMs * 1_000_000L));
        // A quarter of each new sample: one park stretched by a preemption moves the estimate, but not for long.
        expectedNanos += (System.nanoTime() - t0 - expectedNanos) >> 2;
        lingers++;
    }

    /**
     * After a poll: whether the next one lingers. {@code busy}: it returned records without parking for them.
     */
    void polled(RingBufReader[] readers, boolean busy) {
        long now = System.nanoTime();
        long elapsed = Math.max(1, now - lastEnd);
        boolean fits = true;
        for (int i = 0; i < readers.length; i++) {
            long pos = readers[i].position();
            // Bytes that came in since the previous poll returned: the consumer read them all (it stops only when
            // it has caught up), or they were overwritten. An eighth of the ring in a linger at this rate is the
            // limit; in doubles, since a long product of a ring's size and a long gap can overflow.
            fits &= 8.0 * (pos - lastPos[i]) * expectedNanos <= (double) readers[i].size() * elapsed;
            lastPos[i] = pos;
        }
        lastEnd = now;
        due = enabled && busy && fits;
        if (enabled && busy && !fits && expectedNanos > PARK_NANOS) {
            // Inflow too fast for the lingers measured so far: none is taken, so none is measured. Let the estimate
            // decay, so that a few slow parks (a preempted consumer) do not stop lingering for good; the next linger
            // measures it again.
            expectedNanos -= expectedNanos >> 4;
        }
    }
}
