package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.*;

import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import org.openjdk.jcstress.annotations.*;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * 2p1c with discard: one producer discards its record while the other commits one and then consumes. The
 * discarded record is never delivered, whichever reserved first. r1 = seen, r2 = value seen, r3 = left for the
 * arbiter.
 */
@JCStressTest
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "the discarder reserved first and is still busy")
@Outcome(id = "1, 2, 0", expect = ACCEPTABLE, desc = "consumer saw the committed record only")
@Outcome(expect = FORBIDDEN, desc = "discarded record delivered, lost or torn record")
@State
public class RingBufTwoProducersDiscardTest {
    final RingBuf rb = RingPool.acquire();
    final RingBufConsumer consumer;
    int seen;
    int value;

    public RingBufTwoProducersDiscardTest() {
        consumer = RingBufConsumer.create(rb, rec -> {
            value = (int) rec.getLong(rec.position());
            seen++;
            return 0;
        });
    }

    @Actor
    public void discarder() {
        long h = rb.reserve(16);
        rb.putLong(h, 0, 1);
        rb.discard(h, 0);
    }

    @Actor
    public void committerThenConsumer(III_Result r) {
        long h = rb.reserve(16);
        rb.putLong(h, 0, 2);
        rb.commit(h, 0);
        consumer.consume();
        r.r1 = seen;
        r.r2 = value;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = RingPool.release(rb);
    }
}
