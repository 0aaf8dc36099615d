package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.sonde.maps.BpfMap;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

/** Two programs add 1 to the same array element: neither add is lost and each sees a distinct previous value. */
@JCStressTest
@Description("ARRAY addLong is atomic: two concurrent adds always sum to 2")
@Outcome(id = {"0, 1, 2", "1, 0, 2"}, expect = ACCEPTABLE, desc = "both adds counted, one after the other")
@Outcome(expect = FORBIDDEN, desc = "an add was lost or saw a torn value")
@State
public class ArrayAddTest {
    private final BpfMap map = SharedArrays.LONGS;
    private final long handle = map.lookupElem(SharedArrays.next(map));

    @Actor
    public void actor1(JJJ_Result r) {
        r.r1 = map.addLong(handle, 0, 1);
    }

    @Actor
    public void actor2(JJJ_Result r) {
        r.r2 = map.addLong(handle, 0, 1);
    }

    @Arbiter
    public void arbiter(JJJ_Result r) {
        r.r3 = map.getLong(handle, 0);
    }
}
