package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/** Two first increments of one new key (bpftrace's @m[k]++ from two threads): one element, both counted. */
@JCStressTest
@Outcome(id = "0, 0, 2", expect = ACCEPTABLE, desc = "one element, both increments")
@Outcome(expect = FORBIDDEN, desc = "an increment lost or failed")
@State
public class HashIncrementRace {
    private final long key = HashStressMaps.nextKey();

    @Actor
    public void actor1(III_Result r) {
        r.r1 = HashStressMaps.HASH.incrementLong(key, 0, 1);
    }

    @Actor
    public void actor2(III_Result r) {
        r.r2 = HashStressMaps.HASH.incrementLong(key, 0, 1);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        long h = HashStressMaps.HASH.lookupElem(key);
        r.r3 = h < 0 ? (int) h : (int) HashStressMaps.HASH.getLong(h, 0);
        HashStressMaps.HASH.delete(HashStressMaps.key(key));
    }
}
