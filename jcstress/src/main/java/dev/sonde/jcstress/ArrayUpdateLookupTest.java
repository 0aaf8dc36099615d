package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.sonde.maps.BpfMap;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.J_Result;

/**
 * A syscall-style update of an 8-byte value races a lookup: the lookup sees the old value or the new one whole,
 * never bytes of both (each aligned 8-byte word is copied whole). Two actors, as this machine has two CPUs.
 */
@JCStressTest
@Description("ARRAY byte[] update/lookup of an 8-byte value never tears")
@Outcome(id = "1229782938247303441", expect = ACCEPTABLE, desc = "0x1111111111111111: the old value, whole")
@Outcome(id = "2459565876494606882", expect = ACCEPTABLE, desc = "0x2222222222222222: the new value, whole")
@Outcome(expect = FORBIDDEN, desc = "a torn mix of the two values' bytes")
@State
public class ArrayUpdateLookupTest {
    private static final byte[] ONES = SharedArrays.filled(8, 0x11);
    private static final byte[] TWOS = SharedArrays.filled(8, 0x22);
    private final BpfMap map = SharedArrays.LONGS;
    private final byte[] key = SharedArrays.key(SharedArrays.next(map));
    private final byte[] out = new byte[8];

    {
        map.update(key, ONES, BpfMap.ANY);
    }

    @Actor
    public void writer() {
        map.update(key, TWOS, BpfMap.ANY);
    }

    @Actor
    public void reader(J_Result r) {
        map.lookup(key, out);
        r.r1 = SharedArrays.word(out, 0);
    }
}
