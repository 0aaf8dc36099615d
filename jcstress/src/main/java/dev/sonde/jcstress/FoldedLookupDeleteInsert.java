package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.sonde.maps.BpfMap;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

/**
 * Hash format 3: a reader looks a present key up while a writer deletes it and inserts another key, which may take
 * the freed slot. The reader sees the old value or nothing, never the new key's value; the new key is there at the
 * end with its own value.
 */
@JCStressTest
@Outcome(id = "5, 0, 7", expect = ACCEPTABLE, desc = "read before the delete")
@Outcome(id = "0, 0, 7", expect = ACCEPTABLE, desc = "read after the delete")
@Outcome(expect = FORBIDDEN, desc = "the reader saw the other key's value, or the writes failed")
@State
public class FoldedLookupDeleteInsert {
    private final byte[] key = HashStressMaps.key(HashStressMaps.nextKey());
    private final byte[] other = HashStressMaps.key(HashStressMaps.nextKey());

    public FoldedLookupDeleteInsert() {
        HashStressMaps.FOLDED.update(key, HashStressMaps.word(5), BpfMap.ANY);
    }

    @Actor
    public void reader(JJJ_Result r) {
        r.r1 = HashStressMaps.readFolded(key);
    }

    @Actor
    public void writer(JJJ_Result r) {
        r.r2 = HashStressMaps.FOLDED.delete(key)
                + HashStressMaps.FOLDED.update(other, HashStressMaps.word(7), BpfMap.NOEXIST);
    }

    @Arbiter
    public void arbiter(JJJ_Result r) {
        r.r3 = HashStressMaps.readFolded(other);
        HashStressMaps.FOLDED.delete(other);
    }
}
