package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.sonde.maps.BpfMap;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Hash format 3: two NOEXIST inserts of one new key, which take turns on the home's lock: exactly one succeeds and
 * its value is the one stored.
 */
@JCStressTest
@Outcome(id = "0, -17, 1", expect = ACCEPTABLE, desc = "actor 1 inserted, actor 2 saw it")
@Outcome(id = "-17, 0, 2", expect = ACCEPTABLE, desc = "actor 2 inserted, actor 1 saw it")
@Outcome(expect = FORBIDDEN, desc = "two winners, no winner, or a value from the loser")
@State
public class FoldedNoexistRace {
    private final byte[] key = HashStressMaps.key(HashStressMaps.nextKey());

    @Actor
    public void actor1(III_Result r) {
        r.r1 = HashStressMaps.FOLDED.update(key, HashStressMaps.word(1), BpfMap.NOEXIST);
    }

    @Actor
    public void actor2(III_Result r) {
        r.r2 = HashStressMaps.FOLDED.update(key, HashStressMaps.word(2), BpfMap.NOEXIST);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = (int) HashStressMaps.readFolded(key);
        HashStressMaps.FOLDED.delete(key);
    }
}
