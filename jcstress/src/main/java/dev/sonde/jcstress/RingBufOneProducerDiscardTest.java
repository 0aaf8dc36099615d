package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.*;

import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import org.openjdk.jcstress.annotations.*;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * 1p1c with discard: the producer discards one record and outputs the next. The consumer never sees the
 * discarded one, and never the second before the first is settled. r1 = seen, r2 = value seen, r3 = left over.
 */
@JCStressTest
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "consumer ran before the output")
@Outcome(id = "1, 7, 0", expect = ACCEPTABLE, desc = "consumer skipped the discarded record, saw the second")
@Outcome(expect = FORBIDDEN, desc = "a discarded record delivered, or a torn one")
@State
public class RingBufOneProducerDiscardTest {
    final RingBuf rb = RingPool.acquire();
    final RingBufConsumer consumer;
    int seen;
    long value;

    public RingBufOneProducerDiscardTest() {
        consumer = RingBufConsumer.create(rb, rec -> {
            value = rec.getLong(rec.position());
            seen++;
            return 0;
        });
    }

    @Actor
    public void producer() {
        long h = rb.reserve(8);
        rb.putLong(h, 0, 13);
        rb.discard(h, 0);
        long h2 = rb.reserve(8);
        rb.putLong(h2, 0, 7);
        rb.commit(h2, 0);
    }

    @Actor
    public void consumer(III_Result r) {
        consumer.consume();
        r.r1 = seen;
        r.r2 = (int) value;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = RingPool.release(rb);
    }
}
