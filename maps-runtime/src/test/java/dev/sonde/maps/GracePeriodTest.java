package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** GracePeriod on its own: which readers a synchronize() waits for. */
class GracePeriodTest {
    /**
     * The lost increment of HashOfMapsTest's swap test, made deterministic: a reader reads the epoch, stalls across
     * a whole grace period, then counts itself in the parity that grace period already scanned. It may hold the
     * map that was current when the next synchronize() began, so that synchronize() must wait for it.
     */
    @Test
    void aReaderThatStalledAcrossAGracePeriodHoldsUpTheNextOne() throws Exception {
        GracePeriod gp = new GracePeriod(2);
        int slot = gp.slot();         // the reader has read the epoch...
        gp.synchronize();             // ...and stalls while a whole grace period flips and scans...
        int t = gp.enterAt(slot);     // ...then counts itself in the parity that was just scanned
        assertEquals(1, gp.readers());
        Thread s = new Thread(gp::synchronize);
        s.start();
        s.join(500);
        assertTrue(s.isAlive(), "the next grace period ended while a reader that may hold the old map was inside");
        gp.exit(t);
        s.join();
        assertEquals(0, gp.readers());
    }

    @Test
    void readersOnBothParitiesAreWaitedFor() throws Exception {
        GracePeriod gp = new GracePeriod(1);
        int stale = gp.slot();
        gp.synchronize();
        int straggler = gp.enterAt(stale);
        int current = gp.enter();
        assertNotEquals(straggler, current, "the two readers count on different parities");
        Thread s = new Thread(gp::synchronize);
        s.start();
        s.join(300);
        assertTrue(s.isAlive(), "waits for the straggler");
        gp.exit(straggler);
        s.join(300);
        assertTrue(s.isAlive(), "waits for the reader of the epoch it flips away from");
        gp.exit(current);
        s.join();
        assertEquals(0, gp.readers());
    }
}
