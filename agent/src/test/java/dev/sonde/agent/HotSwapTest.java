package dev.sonde.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonde.bridge.Hooks;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.probes.AttachPoint;
import dev.sonde.probes.Program;
import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.builtin.Count;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Programs are data behind a fixed hook: threads calling through the bridge while the control plane swaps the
 * hook's programs back and forth lose and double-count nothing. Every call lands in exactly one program's map.
 */
class HotSwapTest {
    private static final int HOOK = 7001;
    private static final int THREADS = 2;
    private static final int CALLS = 500_000;

    private static BpfMap hash(String name) {
        return Maps.create(MapSpec.builder(MapType.HASH).name(name).keySize(8).valueSize(8).maxEntries(16).build());
    }

    @Test
    void swappingProgramsUnderLoadCountsEveryCallExactlyOnce() throws Exception {
        TargetMethod m = new TargetMethod(HOOK, "a.B", "m", "(J)V", new String[] {"long"}, "void");
        try (BpfMap mapA = hash("swap_a"); BpfMap mapB = hash("swap_b");
                Count a = new Count("a", mapA, Count.NO_ARG); Count b = new Count("b", mapB, Count.NO_ARG)) {
            AttachPoint pa = new AttachPoint(m, new Program[] {a}, new Program[0], new Program[0]);
            AttachPoint pb = new AttachPoint(m, new Program[] {b}, new Program[0], new Program[0]);
            Hooks.set(HOOK, pa);
            CountDownLatch start = new CountDownLatch(1);
            AtomicBoolean done = new AtomicBoolean();
            Thread[] callers = new Thread[THREADS];
            for (int t = 0; t < THREADS; t++) {
                callers[t] = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < CALLS; i++) {
                        long s = Hooks.enter(HOOK, i, 0, 0, 0, 0, 0);
                        if (s != AttachPoint.NO_EXIT) {
                            Hooks.exit(HOOK, s, 0, null, i, 0, 0, 0, 0, 0);
                        }
                    }
                });
                callers[t].start();
            }
            Thread swapper = new Thread(() -> {
                boolean toB = true;
                while (!done.get()) {
                    Hooks.set(HOOK, toB ? pb : pa);
                    toB = !toB;
                    Thread.onSpinWait();
                }
            });
            swapper.start();
            start.countDown();
            for (Thread t : callers) {
                t.join();
            }
            done.set(true);
            swapper.join();

            long inA = count(mapA);
            long inB = count(mapB);
            assertEquals((long) THREADS * CALLS, inA + inB, "a=" + inA + " b=" + inB);
            assertEquals(inA, a.stats().runCount());
            assertEquals(inB, b.stats().runCount());
        } finally {
            Hooks.set(HOOK, null);
        }
    }

    private static long count(BpfMap m) {
        long h = m.lookupElem(HOOK);
        return h < 0 ? 0 : m.getLong(h, 0);
    }
}
