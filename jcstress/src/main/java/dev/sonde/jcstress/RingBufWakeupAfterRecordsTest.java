package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.*;

import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import org.openjdk.jcstress.annotations.*;

/**
 * {@link RingBufWakeupTest} for a consumer that has just drained records: a poll that returns records leaves the
 * ring marked as being consumed, and commits skip the wake-up check while the mark is on. The next poll finds
 * nothing, clears the mark, announces that it sleeps, checks the ring again, then parks; the commit that lands
 * meanwhile must still be seen. "Parked forever with a committed record unseen" is STALE: forbidden.
 */
@JCStressTest(Mode.Termination)
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the consumer saw the record, woken or by its re-check")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "lost wake-up: parked with a committed record")
@State
public class RingBufWakeupAfterRecordsTest {
    final RingBuf rb = RingPool.acquire();
    /**
     * Not coalescing: a poll after one that returned records would otherwise first linger (about 0.1 ms), and the
     * producer's commit would nearly always land within that, before the race this test is for. A linger is only
     * a consumer slow between two polls, which every interleaving here already allows.
     */
    final RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> 0).coalesce(false);

    public RingBufWakeupAfterRecordsTest() {
        rb.output(new byte[8], RingBuf.NO_WAKEUP);
    }

    @Actor
    public void consumer() {
        // The constructor's record, and the producer's too when it was committed already: the mark stays on.
        if (consumer.poll(-1) == 1) {
            consumer.poll(-1); // waits for the producer's record
        }
        RingPool.release(rb);
    }

    @Signal
    public void producer() {
        RingPool.commitOne(rb);
    }
}
