package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Registering, unregistering and replacing a subsystem's callbacks while threads call it: every call runs exactly
 * one implementation, per-implementation counts add up to the calls made, and no call is inside an
 * implementation after its unregistration returned (the moment its owner may tear it down).
 */
class StructOpsSwapTest {
    private static final int CALLERS = 3;
    private static final int SWAPS = 300;

    @FunctionalInterface
    interface Work {
        int work(long x);
    }

    static final class Ops {
        final Work work;

        Ops(Object[] c) {
            this.work = (Work) c[0];
        }
    }

    /** An implementation that counts its calls and notices a call inside it after its teardown. */
    static final class Impl implements Work {
        final int index;
        final AtomicLong calls = new AtomicLong();
        final AtomicLong afterTeardown;
        volatile boolean tornDown;

        Impl(int index, AtomicLong afterTeardown) {
            this.index = index;
            this.afterTeardown = afterTeardown;
        }

        @Override
        public int work(long x) {
            if (tornDown) {
                afterTeardown.incrementAndGet();
            }
            calls.incrementAndGet();
            if ((x & 31) == 0) {
                Thread.yield(); // widen the window in which an unregistration can catch a call inside
            }
            if (tornDown) {
                afterTeardown.incrementAndGet();
            }
            return index;
        }
    }

    static final AtomicLong AFTER_TEARDOWN = new AtomicLong();
    static final Impl DEFAULT = new Impl(0, AFTER_TEARDOWN);
    static final StructOpsType<Ops> TYPE = StructOpsType.builder("test_swap_ops", Ops::new)
            .mandatory("work", Work.class, DEFAULT)
            .register();

    private static int call(long x) {
        int t = TYPE.enter();
        try {
            return TYPE.current().work.work(x);
        } finally {
            TYPE.exit(t);
        }
    }

    @Test
    void swapsUnderLoadKeepEveryCallOnOneLiveImplementation() throws Exception {
        List<Impl> impls = new ArrayList<>();
        impls.add(DEFAULT);
        long defaultBefore = DEFAULT.calls.get(); // other tests of this class call the default too
        for (int i = 1; i <= SWAPS; i++) {
            impls.add(new Impl(i, AFTER_TEARDOWN));
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[][] seen = new long[CALLERS][SWAPS + 1];
        long[] made = new long[CALLERS];
        Thread[] callers = new Thread[CALLERS];
        for (int c = 0; c < CALLERS; c++) {
            int me = c;
            callers[c] = new Thread(() -> {
                long n = 0;
                while (!done.get()) {
                    seen[me][call(n)]++;
                    n++;
                }
                made[me] = n;
            }, "caller-" + c);
        }
        Thread swapper = new Thread(() -> {
            try {
                for (int i = 1; i <= SWAPS; i++) {
                    Impl impl = impls.get(i);
                    StructOpsMap m = (StructOpsMap) Maps.create(TYPE.mapSpec(TestMaps.name("swap_ops")).build());
                    m.setCallback("work", impl, i);
                    assertEquals(0, m.attach());
                    if (i % 50 == 0) {
                        try (StructOpsMap rival = (StructOpsMap) Maps.create(TYPE.mapSpec(TestMaps.name("swap_rival")).build())) {
                            rival.setCallback("work", impls.get(0), 1);
                            assertEquals(-Errno.EBUSY, rival.attach());
                        }
                    }
                    long before = impl.calls.get();
                    while (impl.calls.get() < before + 20) {
                        Thread.yield(); // let the callers reach it
                    }
                    assertEquals(0, m.detach());
                    impl.tornDown = true; // unregistration returned: the owner may tear the implementation down
                    m.close();
                    assertTrue(m.isFreed(), "after delete and close nothing holds the map");
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                done.set(true);
            }
        }, "swapper");
        for (Thread t : callers) {
            t.start();
        }
        swapper.start();
        swapper.join(TimeUnit.SECONDS.toMillis(60));
        done.set(true);
        for (Thread t : callers) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError("swapper failed", failure.get());
        }
        StructOpsMap left = TYPE.registered();
        if (left != null) {
            left.detach();
        }

        assertEquals(0, AFTER_TEARDOWN.get(), "a call ran inside an implementation after its unregistration returned");
        long total = 0;
        for (long m : made) {
            total += m;
        }
        long landed = 0;
        for (int i = 0; i <= SWAPS; i++) {
            long sum = 0;
            for (int c = 0; c < CALLERS; c++) {
                sum += seen[c][i];
            }
            long counted = impls.get(i).calls.get() - (i == 0 ? defaultBefore : 0);
            assertEquals(counted, sum, "calls that landed on implementation " + i);
            landed += sum;
            if (i > 0) {
                assertTrue(sum >= 20, "implementation " + i + " was registered long enough to be called");
            }
        }
        assertEquals(total, landed, "every call landed on exactly one implementation");
    }

    @Test
    void linkReplacementsUnderLoadNeverFallBackToTheDefault() throws Exception {
        int replacements = 300;
        List<Impl> impls = new ArrayList<>();
        impls.add(DEFAULT);
        for (int i = 1; i <= replacements + 1; i++) {
            impls.add(new Impl(i, AFTER_TEARDOWN));
        }
        long[][] seen = new long[CALLERS][replacements + 2];
        AtomicBoolean done = new AtomicBoolean();
        StructOpsMap first = readyLinkMap(impls.get(1), 1);
        StructOpsLink link = StructOpsLink.create(first);
        first.close(); // the link holds it now
        Thread[] callers = new Thread[CALLERS];
        for (int c = 0; c < CALLERS; c++) {
            int me = c;
            callers[c] = new Thread(() -> {
                long n = 0;
                while (!done.get()) {
                    seen[me][call(n++)]++;
                }
            }, "caller-" + c);
            callers[c].start();
        }
        try {
            for (int i = 2; i <= replacements + 1; i++) {
                Impl old = impls.get(i - 1);
                StructOpsMap next = readyLinkMap(impls.get(i), i);
                while (old.calls.get() < 10) {
                    Thread.yield(); // let the callers reach the one in place
                }
                assertEquals(0, link.update(next));
                old.tornDown = true; // update returned: nobody is inside the old one any more
                next.close();
            }
        } finally {
            done.set(true);
            for (Thread t : callers) {
                t.join();
            }
            assertEquals(0, link.detach());
        }
        assertEquals(0, AFTER_TEARDOWN.get(), "a call ran inside an implementation after it was replaced");
        for (int i = 0; i <= replacements + 1; i++) {
            long sum = 0;
            for (int c = 0; c < CALLERS; c++) {
                sum += seen[c][i];
            }
            if (i == 0) {
                assertEquals(0, sum, "a replacement through the link never shows the default");
            } else {
                assertEquals(impls.get(i).calls.get(), sum, "calls that landed on implementation " + i);
            }
        }
    }

    private static StructOpsMap readyLinkMap(Impl impl, int progId) {
        StructOpsMap m = (StructOpsMap) Maps.create(TYPE.mapSpec(TestMaps.name("swap_link")).flags(StructOpsMap.F_LINK).build());
        m.setCallback("work", impl, progId);
        assertEquals(0, m.attach());
        return m;
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void deleteWaitsForTheCallsInside() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicBoolean returned = new AtomicBoolean();
        StructOpsMap m = (StructOpsMap) Maps.create(TYPE.mapSpec(TestMaps.name("swap_wait")).build());
        m.setCallback("work", (Work) x -> {
            entered.countDown();
            try {
                leave.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return returned.get() ? -1 : 7;
        }, 5);
        assertEquals(0, m.attach());
        int[] result = new int[1];
        Thread caller = new Thread(() -> result[0] = call(1));
        caller.start();
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        Thread deleter = new Thread(() -> {
            assertEquals(0, m.detach());
            returned.set(true);
        });
        deleter.start();
        // As in bpf_struct_ops_map_delete_elem(), the state turns TOBEFREE before unreg swaps the callbacks out:
        // wait for both, or a call made in between would still enter the old callback (and wait on it here).
        while (m.state() != StructOpsLayout.STATE_TOBEFREE || TYPE.current() != TYPE.defaults()) {
            Thread.yield();
        }
        assertEquals(0, call(2), "new calls already run the default");
        deleter.join(200);
        assertFalse(returned.get(), "delete returned while a call was still inside the old callback");
        leave.countDown();
        caller.join();
        deleter.join();
        assertTrue(returned.get());
        assertEquals(7, result[0], "the call inside finished on the implementation it started on");
        m.close();
        assertTrue(m.isFreed());
    }
}
