package dev.sonde.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.sonde.maps.BpfMap;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/** lookupAndDelete racing delete on a present key: exactly one removes it, and the value comes back whole. */
@JCStressTest
@Outcome(id = "0, -2, 5", expect = ACCEPTABLE, desc = "lookupAndDelete won")
@Outcome(id = "-2, 0, 0", expect = ACCEPTABLE, desc = "delete won")
@Outcome(expect = FORBIDDEN, desc = "both or neither removed the element, or a torn value")
@State
public class HashLookupAndDeleteRace {
    private final byte[] key = HashStressMaps.key(HashStressMaps.nextKey());

    public HashLookupAndDeleteRace() {
        HashStressMaps.HASH.update(key, HashStressMaps.value(5), BpfMap.ANY);
    }

    @Actor
    public void taker(III_Result r) {
        byte[] v = new byte[16];
        r.r1 = HashStressMaps.HASH.lookupAndDelete(key, v);
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        r.r3 = b.getLong(0) == b.getLong(8) ? (int) b.getLong(0) : -1;
    }

    @Actor
    public void deleter(III_Result r) {
        r.r2 = HashStressMaps.HASH.delete(key);
    }
}
