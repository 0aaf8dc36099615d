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

/** An insert racing a delete of the same key: the final state matches the order the results tell. */
@JCStressTest
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "insert, then delete: absent")
@Outcome(id = "0, -2, 7", expect = ACCEPTABLE, desc = "delete found nothing, then insert: present")
@Outcome(expect = FORBIDDEN, desc = "final state contradicts the results")
@State
public class HashInsertDelete {
    private final byte[] key = HashStressMaps.key(HashStressMaps.nextKey());

    @Actor
    public void inserter(III_Result r) {
        r.r1 = HashStressMaps.HASH.update(key, HashStressMaps.value(7), BpfMap.NOEXIST);
    }

    @Actor
    public void deleter(III_Result r) {
        r.r2 = HashStressMaps.HASH.delete(key);
    }

    @Arbiter
    public void arbiter(III_Result r) {
        r.r3 = (int) HashStressMaps.read(key);
        HashStressMaps.HASH.delete(key);
    }
}
