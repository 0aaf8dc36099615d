package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.sonde.maps.BpfMap;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/** A lookup racing an update of a present key sees the old or the new value whole, never a mix. */
@JCStressTest
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "lookup before the update")
@Outcome(id = "0, 2", expect = ACCEPTABLE, desc = "lookup after the update")
@Outcome(expect = FORBIDDEN, desc = "torn value, lost key or a failed update")
@State
public class HashUpdateLookup {
    private final long k = HashStressMaps.nextKey();
    private final byte[] key = HashStressMaps.key(k);

    public HashUpdateLookup() {
        HashStressMaps.HASH.update(key, HashStressMaps.value(1), BpfMap.ANY);
    }

    @Actor
    public void writer(JJ_Result r) {
        r.r1 = HashStressMaps.HASH.update(key, HashStressMaps.value(2), BpfMap.EXIST);
    }

    @Actor
    public void reader(JJ_Result r) {
        r.r2 = HashStressMaps.read(key);
    }

    @Arbiter
    public void cleanUp(JJ_Result r) {
        HashStressMaps.HASH.delete(key);
    }
}
