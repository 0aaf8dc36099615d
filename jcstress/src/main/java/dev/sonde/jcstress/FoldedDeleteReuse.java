package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.sonde.maps.BpfMap;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

/**
 * Hash format 3, the epoch's case head-on: a reader copies key A's value while a writer deletes A and inserts B, a
 * key with A's home, which takes A's freed slot and writes its value there. The reader must see A's value or
 * nothing, never B's (FoldedHashTable.delete: the key word turns BUSY, the epoch moves, only then is the slot free).
 * The arbiter reports whether B did land in A's slot (1), which it does unless another state's key freed a slot
 * nearer the home first.
 */
@JCStressTest
@Outcome(id = "5, 0, 1", expect = ACCEPTABLE, desc = "read before the delete; B reused A's slot")
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "read after the delete; B reused A's slot")
@Outcome(id = {"5, 0, 0", "0, 0, 0"}, expect = ACCEPTABLE_INTERESTING, desc = "B landed elsewhere: no reuse tested")
@Outcome(expect = FORBIDDEN, desc = "the reader saw B's value as A's, or a write failed")
@State
public class FoldedDeleteReuse {
    private final long a = HashStressMaps.nextKey();
    private final byte[] keyA = HashStressMaps.key(a);
    private final long b = HashStressMaps.sameHome(a);
    private final long slotA;

    public FoldedDeleteReuse() {
        HashStressMaps.FOLDED.update(keyA, HashStressMaps.word(5), BpfMap.ANY);
        slotA = HashStressMaps.FOLDED.lookupElem(a);
    }

    @Actor
    public void reader(JJJ_Result r) {
        r.r1 = HashStressMaps.readFolded(keyA);
    }

    @Actor
    public void writer(JJJ_Result r) {
        r.r2 = HashStressMaps.FOLDED.delete(keyA)
                + HashStressMaps.FOLDED.update(HashStressMaps.key(b), HashStressMaps.word(7), BpfMap.NOEXIST);
    }

    @Arbiter
    public void arbiter(JJJ_Result r) {
        r.r3 = HashStressMaps.FOLDED.lookupElem(b) == slotA ? 1 : 0;
        HashStressMaps.FOLDED.delete(HashStressMaps.key(b));
    }
}
