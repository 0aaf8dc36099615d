package dev.sonde.maps;

import static dev.sonde.maps.TestMaps.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Swapping a fresh histogram in and draining the old one loses no increment and counts none twice.
 *
 * <p>The protocol (documented on {@link ArrayOfMaps}): writers bracket {@code lookupMap} and the add with the
 * outer map's {@link GracePeriod}; the swapper retains the old inner map, updates the slot with a fresh one,
 * calls {@code synchronize()} so that every writer that could still hold the old map has finished its add, and
 * only then drains the old map. Without the grace period a writer preempted between its {@code lookupMap} and
 * its add would add to a map already drained, and the sum below would come out short.
 */
class MapInMapSwapTest {
    private static final int WRITERS = 2;
    private static final int PER_WRITER = 2_000_000;

    @Test
    void swapsUnderAGracePeriodLoseNoIncrement() throws Exception {
        BpfMap tmpl = Maps.create(array("swap_tmpl", 8, 1).build());
        ArrayOfMaps outer = (ArrayOfMaps) Maps.create(MapSpec.builder(MapType.ARRAY_OF_MAPS).name(name("swap_outer"))
                .keySize(4).valueSize(4).maxEntries(1).innerMap(tmpl).build());
        tmpl.close();
        try {
            swapWhileWriting(outer);
        } finally {
            outer.close(); // idempotent; on failure it still removes the files
        }
    }

    private static void swapWhileWriting(ArrayOfMaps outer) throws Exception {
        try (BpfMap first = Maps.create(array("swap_in", 8, 1).build())) {
            assertEquals(0, outer.update(key(0), ints(first.id()), BpfMap.ANY));
        }
        GracePeriod gp = outer.gracePeriod();
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] drained = new long[1];
        int[] swaps = new int[1];

        Thread swapper = new Thread(() -> {
            try {
                while (!done.get()) {
                    BpfMap fresh = Maps.create(array("swap_in", 8, 1).build());
                    BpfMap old = outer.lookupMap(0).retain();
                    assertEquals(0, outer.update(key(0), ints(fresh.id()), BpfMap.ANY));
                    fresh.close();
                    gp.synchronize();
                    drained[0] += old.getLong(old.lookupElem(0), 0);
                    old.release();
                    assertTrue(old.isFreed(), "the outer map let go of it, and so did we");
                    swaps[0]++;
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        Thread[] writers = new Thread[WRITERS];
        for (int w = 0; w < WRITERS; w++) {
            writers[w] = new Thread(() -> {
                for (int i = 0; i < PER_WRITER; i++) {
                    int t = gp.enter();
                    BpfMap m = outer.lookupMap(0);
                    m.addLong(m.lookupElem(0), 0, 1);
                    gp.exit(t);
                }
            });
        }
        swapper.start();
        for (Thread w : writers) {
            w.start();
        }
        for (Thread w : writers) {
            w.join();
        }
        done.set(true);
        swapper.join();
        assertNull(failure.get(), () -> String.valueOf(failure.get()));
        assertEquals(0, gp.readers());

        BpfMap last = outer.lookupMap(0);
        long total = drained[0] + last.getLong(last.lookupElem(0), 0);
        assertTrue(swaps[0] > 0, "the swapper swapped while the writers wrote");
        assertEquals((long) WRITERS * PER_WRITER, total, "drained over " + swaps[0] + " swaps + final");
        outer.close();
        assertTrue(last.isFreed(), "the outer map held the last reference to the final inner map");
    }

    @Test
    void synchronizeWaitsForAReaderInsideItsSection() throws Exception {
        GracePeriod gp = new GracePeriod(4);
        int t = gp.enter();
        AtomicBoolean returned = new AtomicBoolean();
        Thread s = new Thread(() -> {
            gp.synchronize();
            returned.set(true);
        });
        s.start();
        s.join(200);
        assertFalse(returned.get(), "a grace period cannot end while a reader is inside");
        assertEquals(1, gp.readers());
        gp.exit(t);
        s.join();
        assertTrue(returned.get());
        int late = gp.enter(); // a reader arriving after the flip does not hold up the next grace period's old epoch
        gp.exit(late);
        gp.synchronize();
    }
}
