package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.*;

import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import org.openjdk.jcstress.annotations.*;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * 2p1c: two producers race for reservations; the second then consumes, racing the first one's commit (two
 * actors, so it runs on two CPUs). r1 = records the consumer saw, r2 = their values in delivery order as decimal
 * digits, r3 = records left for the arbiter. Every record arrives exactly once and whole, in reservation order:
 * when producer 1 reserved first and has not committed, its busy record hides producer 2's committed one.
 * Producer 1, whose commit races the consumer, commits with NO_WAKEUP, which publishes with a release store and
 * no exchange; producer 2 with the exchange.
 */
@JCStressTest
@Outcome(id = "0, 0, 2", expect = ACCEPTABLE, desc = "producer 1 reserved first, not yet committed: nothing visible")
@Outcome(id = "1, 2, 1", expect = ACCEPTABLE, desc = "producer 2 reserved first; producer 1 not yet committed")
@Outcome(id = {"2, 12, 0", "2, 21, 0"}, expect = ACCEPTABLE, desc = "both seen, in reservation order")
@Outcome(expect = FORBIDDEN, desc = "lost, duplicated or torn record")
@State
public class RingBufTwoProducersTest {
    final RingBuf rb = RingPool.acquire();
    final RingBufConsumer consumer;
    int seen;
    int order;

    public RingBufTwoProducersTest() {
        consumer = RingBufConsumer.create(rb, rec -> {
            long a = rec.getLong(rec.position());
            long b = rec.getLong(rec.position() + 8);
            order = order * 10 + (a == b ? (int) a : 9);
            seen++;
            return 0;
        });
    }

    static void produce(RingBuf rb, long v, long flags) {
        long h = rb.reserve(16);
        rb.putLong(h, 0, v);
        rb.putLong(h, 8, v);
        rb.commit(h, flags);
    }

    @Actor
    public void producer1() {
        produce(rb, 1, RingBuf.NO_WAKEUP);
    }

    @Actor
    public void producer2ThenConsumer(III_Result r) {
        produce(rb, 2, 0);
        consumer.consume();
        r.r1 = seen;
        r.r2 = order;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = RingPool.release(rb);
    }
}
