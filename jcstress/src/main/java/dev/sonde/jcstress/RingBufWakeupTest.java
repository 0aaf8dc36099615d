package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.*;

import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import org.openjdk.jcstress.annotations.*;

/**
 * The wake-up litmus test: a consumer polls with no time-out while a producer commits the record it waits for.
 * The consumer announces that it sleeps, checks the ring again, then parks; the commit (a full fence) reads the
 * consumer position and the waiter. "Parked forever with a committed record unseen" is STALE: forbidden.
 */
@JCStressTest(Mode.Termination)
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the consumer saw the record, woken or by its re-check")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "lost wake-up: parked with a committed record")
@State
public class RingBufWakeupTest {
    final RingBuf rb = RingPool.acquire();
    final RingBufConsumer consumer = RingBufConsumer.create(rb, rec -> 0);

    @Actor
    public void consumer() {
        consumer.poll(-1);
        RingPool.release(rb);
    }

    @Signal
    public void producer() {
        RingPool.commitOne(rb);
    }
}
