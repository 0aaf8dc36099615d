package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Two first increments of one key in a HASH of max_entries 1 (a fresh inner histogram right after a swap): the
 * insert that kills the other's copy must not fail with E2BIG on the unit that copy reserved and has not given
 * back yet. The window is a few instructions wide, so without the fix this catches it in some runs, not all.
 */
class HashFirstIncrementRaceTest {
    private static final int ROUNDS = 100_000;

    @Test
    void twoFirstIncrementsOfOneKeyInAFullSizedMapBothCount() throws Exception {
        try (BpfMap m = Maps.create(MapSpec.builder(MapType.HASH).keySize(8).valueSize(8).maxEntries(1).build())) {
            AtomicInteger round = new AtomicInteger(-1);
            AtomicInteger finished = new AtomicInteger();
            int[] failures = new int[2];
            int[] lastError = new int[2];
            Thread[] ts = new Thread[2];
            for (int t = 0; t < 2; t++) {
                int me = t;
                ts[t] = new Thread(() -> {
                    for (int r = 0; r < ROUNDS; r++) {
                        while (round.get() < r) {
                            Thread.yield(); // 2 cores, 3 threads: spinning without yielding would starve the others
                        }
                        int rc = m.incrementLong(7, 0, 1);
                        if (rc != 0) {
                            failures[me]++;
                            lastError[me] = rc;
                        }
                        finished.incrementAndGet();
                    }
                });
                ts[t].start();
            }
            long wrongSums = 0;
            byte[] key = HashMapTest.k8(7);
            for (int r = 0; r < ROUNDS; r++) {
                round.set(r);
                while (finished.get() < 2 * (r + 1)) {
                    Thread.yield();
                }
                long h = m.lookupElem(7);
                if (h < 0 || m.getLong(h, 0) != 2) {
                    wrongSums++;
                }
                assertEquals(0, m.delete(key));
            }
            for (Thread t : ts) {
                t.join();
            }
            assertEquals(0, failures[0] + failures[1], "failed increments, last errors " + lastError[0] + ", "
                    + lastError[1]);
            assertEquals(0, wrongSums, "rounds whose key did not end at 2");
        }
    }
}
