package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.sonde.maps.BpfMap;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * What Sonde guarantees for values wider than 8 bytes, and what it does not: as the kernel's arrays updated in
 * place without {@code BPF_F_LOCK}, a lookup racing an update of a 16-byte value may see one word of the old
 * value and one of the new (interesting, allowed), but each aligned word is always one value's whole word.
 */
@JCStressTest
@Description("ARRAY byte[] update/lookup of a 16-byte value: words are whole, the value may mix words of two updates")
@Outcome(id = {"1229782938247303441, 1229782938247303441", "2459565876494606882, 2459565876494606882"},
        expect = ACCEPTABLE, desc = "the old or the new value, whole")
@Outcome(id = {"1229782938247303441, 2459565876494606882", "2459565876494606882, 1229782938247303441"},
        expect = ACCEPTABLE_INTERESTING, desc = "one word of each value: no atomicity beyond 8 bytes, as the kernel")
@Outcome(expect = FORBIDDEN, desc = "a torn word")
@State
public class ArrayWideUpdateLookupTest {
    private static final byte[] ONES = SharedArrays.filled(16, 0x11);
    private static final byte[] TWOS = SharedArrays.filled(16, 0x22);
    private final BpfMap map = SharedArrays.PAIRS;
    private final byte[] key = SharedArrays.key(SharedArrays.next(map));
    private final byte[] out = new byte[16];

    {
        map.update(key, ONES, BpfMap.ANY);
    }

    @Actor
    public void writer() {
        map.update(key, TWOS, BpfMap.ANY);
    }

    @Actor
    public void reader(JJ_Result r) {
        map.lookup(key, out);
        r.r1 = SharedArrays.word(out, 0);
        r.r2 = SharedArrays.word(out, 8);
    }
}
