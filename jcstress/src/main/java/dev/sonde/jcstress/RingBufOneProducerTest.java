package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.*;

import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import org.openjdk.jcstress.annotations.*;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The 2020 ringbuf series' 1p1c litmus test: a consumer racing one producer sees either nothing or the whole
 * record, never a committed header with data not yet written. r1 = records seen, r2 = their payload check,
 * r3 = records in the ring after both (the arbiter drains).
 */
@JCStressTest
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "consumer ran before the commit")
@Outcome(id = "1, 42, 0", expect = ACCEPTABLE, desc = "consumer saw the whole record")
@Outcome(expect = FORBIDDEN, desc = "torn, lost or duplicated record")
@State
public class RingBufOneProducerTest {
    final RingBuf rb = RingPool.acquire();
    final RingBufConsumer consumer;
    int seen;
    long payload;

    public RingBufOneProducerTest() {
        consumer = RingBufConsumer.create(rb, rec -> {
            long a = rec.getLong(rec.position());
            long b = rec.getLong(rec.position() + 8);
            payload = a == b ? a : -1;
            seen++;
            return 0;
        });
    }

    @Actor
    public void producer() {
        long h = rb.reserve(16);
        rb.putLong(h, 0, 42);
        rb.putLong(h, 8, 42);
        rb.commit(h, 0);
    }

    @Actor
    public void consumer(III_Result r) {
        consumer.consume();
        r.r1 = seen;
        r.r2 = (int) payload;
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = RingPool.release(rb);
    }
}
