package dev.sonde.probes.structops;

import static org.junit.jupiter.api.Assertions.*;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Errno;
import dev.sonde.maps.Maps;
import dev.sonde.maps.SondeException;
import dev.sonde.maps.StructOpsLayout;
import dev.sonde.maps.StructOpsLink;
import dev.sonde.maps.StructOpsMap;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The {@code sampling_ops} subsystem the span program consults: default, registration, fallback, swaps. */
class SamplingPolicyTest {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private static StructOpsMap policyMap() {
        return (StructOpsMap) Maps.create(SamplingPolicy.mapSpec("sampling_" + SEQ.incrementAndGet()).build());
    }

    private static int intAt(byte[] v, int offset) {
        return ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getInt(offset);
    }

    @AfterEach
    void unregisterLeftovers() {
        StructOpsMap r = SamplingPolicy.TYPE.registered();
        if (r != null) {
            r.detach(); // a failed test must not leave the next one an -EBUSY
        }
    }

    @Test
    void withNothingRegisteredEverySpanIsSampled() {
        assertNull(SamplingPolicy.TYPE.registered());
        for (long m = 0; m < 100; m++) {
            assertTrue(SamplingPolicy.shouldSample(m, 1, m * 1000));
        }
        SamplingPolicy.onSpanEnd(1, 5); // the default ignores it
        assertSame(SamplingPolicy.TYPE, dev.sonde.maps.StructOpsType.byName("sampling_ops"));
        assertEquals(16, SamplingPolicy.TYPE.valueSize());
    }

    @Test
    void aRegisteredPolicyDecidesUntilItIsDeleted() {
        AtomicLong ended = new AtomicLong();
        try (StructOpsMap m = policyMap()) {
            m.setCallback(SamplingOps.SHOULD_SAMPLE, (SamplingOps.ShouldSample) (id, t, now) -> id % 2 == 0, 101)
                    .setCallback(SamplingOps.ON_SPAN_END, (SamplingOps.OnSpanEnd) (id, d) -> ended.addAndGet(d), 102);
            assertEquals(0, m.attach());
            assertTrue(SamplingPolicy.shouldSample(4, 1, 0));
            assertFalse(SamplingPolicy.shouldSample(5, 1, 0));
            SamplingPolicy.onSpanEnd(4, 250);
            assertEquals(250, ended.get());

            byte[] v = new byte[m.valueSize()];
            assertEquals(0, m.lookup(new byte[4], v));
            assertEquals(1, intAt(v, StructOpsLayout.REFCNT));
            assertEquals(StructOpsLayout.STATE_INUSE, intAt(v, StructOpsLayout.STATE));
            assertEquals(101, intAt(v, StructOpsLayout.progIdOffset(m.slotIndex("should_sample"))));
            assertEquals(102, intAt(v, StructOpsLayout.progIdOffset(m.slotIndex("on_span_end"))));
            try (BpfMap r = Maps.open(m.path())) {
                byte[] rv = new byte[r.valueSize()];
                assertEquals(0, r.lookup(new byte[4], rv));
                assertEquals(101, intAt(rv, StructOpsLayout.progIdOffset(0)), "another reader sees the program ids");
            }

            assertEquals(0, m.detach());
            assertTrue(SamplingPolicy.shouldSample(5, 1, 0), "the default again");
            SamplingPolicy.onSpanEnd(4, 250);
            assertEquals(250, ended.get(), "the deleted policy hears nothing more");
        }
    }

    @Test
    void aPolicyWithoutShouldSampleIsRefused() {
        try (StructOpsMap m = policyMap()) {
            m.setCallback(SamplingOps.ON_SPAN_END, SamplingPolicy.IGNORE_END, 7);
            assertEquals(-Errno.EINVAL, m.attach());
            assertEquals(StructOpsLayout.STATE_INIT, m.state());
            assertTrue(SamplingPolicy.shouldSample(1, 1, 1));
        }
    }

    @Test
    void aLinkSwitchesPoliciesWithoutSamplingEverythingInBetween() {
        StructOpsMap one = (StructOpsMap) Maps.create(SamplingPolicy.mapSpec("one_in_100_" + SEQ.incrementAndGet())
                .flags(StructOpsMap.F_LINK).build());
        one.setCallback(SamplingOps.SHOULD_SAMPLE, (SamplingOps.ShouldSample) (m, t, n) -> false, 201);
        assertEquals(0, one.attach());
        assertEquals(StructOpsLayout.STATE_READY, one.state());
        assertTrue(SamplingPolicy.shouldSample(1, 1, 1), "READY alone registers nothing");
        try (StructOpsLink link = StructOpsLink.create(one)) {
            one.close();
            assertFalse(SamplingPolicy.shouldSample(1, 1, 1));
            StructOpsMap two = (StructOpsMap) Maps.create(SamplingPolicy.mapSpec("one_in_50_" + SEQ.incrementAndGet())
                    .flags(StructOpsMap.F_LINK).build());
            two.setCallback(SamplingOps.SHOULD_SAMPLE, (SamplingOps.ShouldSample) (m, t, n) -> m == 7, 202);
            assertEquals(0, two.attach());
            assertEquals(0, link.update(two));
            assertTrue(one.isFreed(), "the replaced policy's map is gone");
            two.close();
            assertTrue(SamplingPolicy.shouldSample(7, 1, 1));
            assertFalse(SamplingPolicy.shouldSample(8, 1, 1));
            assertEquals(-Errno.EOPNOTSUPP, two.delete(new byte[4]), "the link owns the registration");
            assertEquals(0, link.detach());
            assertTrue(two.isFreed());
        }
        assertTrue(SamplingPolicy.shouldSample(8, 1, 1), "the default again");
    }

    @Test
    void ratioSamplerRecordsItsShare() {
        RatioSampler none = new RatioSampler(0);
        RatioSampler all = new RatioSampler(1);
        RatioSampler quarter = new RatioSampler(0.25);
        int sampled = 0;
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            assertFalse(none.shouldSample(i, 3, i * 997L));
            assertTrue(all.shouldSample(i, 3, i * 997L));
            if (quarter.shouldSample(i, 3, i * 997L)) {
                sampled++;
            }
        }
        assertTrue(sampled > n / 4 - n / 50 && sampled < n / 4 + n / 50, "about a quarter: " + sampled);
        SondeException e = assertThrows(SondeException.class, () -> new RatioSampler(1.5));
        assertEquals(Errno.EINVAL, e.errno());
        assertThrows(SondeException.class, () -> new RatioSampler(Double.NaN));
    }

    /** Policies that count their calls; "none" ones decline, so every declined span is one of their calls. */
    static final class Counting implements SamplingOps.ShouldSample {
        final boolean sample;
        final AtomicLong calls = new AtomicLong();
        volatile boolean tornDown;
        final AtomicLong afterTeardown;

        Counting(boolean sample, AtomicLong afterTeardown) {
            this.sample = sample;
            this.afterTeardown = afterTeardown;
        }

        @Override
        public boolean shouldSample(long methodId, long threadId, long nowNanos) {
            calls.incrementAndGet();
            if ((methodId & 15) == 0) {
                Thread.yield();
            }
            if (tornDown) {
                afterTeardown.incrementAndGet();
            }
            return sample;
        }
    }

    @Test
    void replacingPoliciesUnderLoadCountsEveryDecisionOnce() throws Exception {
        int callersN = 2;
        int swaps = 100;
        AtomicLong afterTeardown = new AtomicLong();
        Counting[] policies = new Counting[swaps];
        for (int i = 0; i < swaps; i++) {
            policies[i] = new Counting(i % 2 == 0, afterTeardown);
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] yes = new long[callersN];
        long[] no = new long[callersN];
        Thread[] callers = new Thread[callersN];
        for (int c = 0; c < callersN; c++) {
            int me = c;
            callers[c] = new Thread(() -> {
                long i = 0;
                while (!done.get()) {
                    if (SamplingPolicy.shouldSample(i, me, i)) {
                        yes[me]++;
                    } else {
                        no[me]++;
                    }
                    i++;
                }
            });
            callers[c].start();
        }
        Thread swapper = new Thread(() -> {
            try {
                for (int i = 0; i < swaps; i++) {
                    try (StructOpsMap m = policyMap()) {
                        m.setCallback(SamplingOps.SHOULD_SAMPLE, policies[i], 1000 + i);
                        assertEquals(0, m.attach());
                        while (policies[i].calls.get() < 10) {
                            Thread.yield();
                        }
                        assertEquals(0, m.detach());
                        policies[i].tornDown = true;
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                done.set(true);
            }
        });
        swapper.start();
        swapper.join(60_000);
        done.set(true);
        for (Thread t : callers) {
            t.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(0, afterTeardown.get(), "a decision ran in a policy after its unregistration returned");
        long declined = 0;
        long sampledByPolicies = 0;
        for (int i = 0; i < swaps; i++) {
            assertTrue(policies[i].calls.get() >= 10);
            if (policies[i].sample) {
                sampledByPolicies += policies[i].calls.get();
            } else {
                declined += policies[i].calls.get();
            }
        }
        long yesAll = 0;
        long noAll = 0;
        for (int c = 0; c < callersN; c++) {
            yesAll += yes[c];
            noAll += no[c];
        }
        assertEquals(declined, noAll, "every declined span was decided by exactly one 'none' policy call");
        assertTrue(yesAll >= sampledByPolicies, "sampled spans: the 'all' policies' calls plus the default's");
    }
}
