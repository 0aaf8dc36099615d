package dev.sonde.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sonde.export.otlp.OtlpReceiver;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RingBuf;
import dev.sonde.probes.builtin.SpanLayout;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 6: the backend goes down for a while and comes back. Application threads run an "instrumented method"
 * at a steady rate and write its span record into a real ring as the {@code span} program does (reserve, fill,
 * commit: no allocation, no wait); the agent's exporters (autoconfigured OTLP/gRPC, AIMD pacing) drain the ring
 * into the real receiver, which is stopped and later restarted on the same port. Checked: the method is not
 * slowed during the outage, drops are counted, export resumes, and every call is accounted for exactly.
 */
class BackendOutageTest {
    private static final long MS = 1_000_000L;
    private static final int PHASES = 4; // warm-up, before, outage, after
    private static final int BEFORE = 1;
    private static final int OUTAGE = 2;
    private static final int AFTER = 3;
    private static final int SAMPLES = 60_000;

    private final OtlpReceiver receiver = OtlpReceiver.start();
    private volatile int phase;
    private volatile boolean stop;
    /** Keeps the method's result alive, so the JIT cannot drop the work. */
    static volatile long sink;

    @AfterEach
    void close() {
        receiver.close();
    }

    /** One application thread: calls, each timed (method plus probe), into one preallocated array per phase. */
    private final class App extends Thread {
        final RingBuf ring;
        final long threadId;
        final long methodId;
        final long[][] latency = new long[PHASES][SAMPLES];
        final int[] samples = new int[PHASES];
        long calls;
        long refused;

        App(RingBuf ring, long threadId, long methodId) {
            super("app-" + threadId);
            this.ring = ring;
            this.threadId = threadId;
            this.methodId = methodId;
        }

        @Override
        public void run() {
            long acc = 0;
            while (!stop) {
                int ph = phase;
                long t0 = System.nanoTime();
                acc += work(calls);
                probe(t0, System.nanoTime());
                long d = System.nanoTime() - t0;
                if (samples[ph] < SAMPLES) {
                    latency[ph][samples[ph]++] = d;
                }
                LockSupport.parkNanos(250_000L); // about 3,000 calls a second per thread
            }
            sink = acc;
        }

        /** The instrumented method: a few microseconds of arithmetic. */
        private long work(long seed) {
            long x = seed * 0x9E3779B97F4A7C15L + 1;
            for (int i = 0; i < 400; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
            }
            return x;
        }

        /** What the span program does at the method's exit. */
        private void probe(long start, long end) {
            long call = ++calls;
            long h = ring.reserve(SpanLayout.SIZE);
            if (h < 0) {
                refused++; // the ring counts it too: ring_full
                return;
            }
            ring.putLong(h, SpanLayout.METHOD_OFFSET, methodId);
            ring.putLong(h, SpanLayout.THREAD_OFFSET, threadId);
            ring.putLong(h, SpanLayout.START_OFFSET, start);
            ring.putLong(h, SpanLayout.DURATION_OFFSET, end - start);
            ring.putLong(h, SpanLayout.VALUE_OFFSET, 0);
            ring.putInt(h, SpanLayout.FLAGS_OFFSET, 0);
            ring.putInt(h, SpanLayout.NARGS_OFFSET, 0);
            ring.putLong(h, SpanLayout.CALL_ID_OFFSET, call);
            ring.putLong(h, SpanLayout.PARENT_CALL_ID_OFFSET, 0);
            ring.putLong(h, SpanLayout.ROOT_CALL_ID_OFFSET, call);
            for (int i = 0; i < SpanLayout.MAX_ARGS; i++) {
                ring.putLong(h, SpanLayout.ARGS_OFFSET + 8 * i, 0);
            }
            ring.putLong(h, SpanLayout.APP_TRACE_HI_OFFSET, 0);
            ring.putLong(h, SpanLayout.APP_TRACE_LO_OFFSET, 0);
            ring.putLong(h, SpanLayout.APP_PARENT_SPAN_OFFSET, 0);
            ring.commit(h, 0);
        }
    }

    private static long median(List<App> apps, int ph) {
        int n = 0;
        for (App a : apps) {
            n += a.samples[ph];
        }
        long[] all = new long[n];
        int k = 0;
        for (App a : apps) {
            System.arraycopy(a.latency[ph], 0, all, k, a.samples[ph]);
            k += a.samples[ph];
        }
        assertTrue(n > 100, "phase " + ph + " has only " + n + " calls");
        Arrays.sort(all);
        return all[n / 2];
    }

    /** Spans by id: a request the backend stored but whose answer was lost would come again on a retry. */
    private static Set<ByteString> distinct(List<Span> spans) {
        Set<ByteString> ids = new HashSet<>();
        for (Span s : spans) {
            ids.add(s.getTraceId().concat(s.getSpanId()));
        }
        return ids;
    }

    /**
     * With the SDK's retries (the default) an export caught by the outage keeps retrying and may succeed after the
     * restart: the outage's losses are then batches dropped from the full queue. Without them each attempt fails
     * at once and AIMD backs off: losses are then mostly failed exports. Either way each span counts once.
     */
    @ParameterizedTest(name = "SDK retry {0}")
    @ValueSource(booleans = {true, false})
    void the_backend_down_then_up_slows_no_application_thread_and_every_call_is_accounted_for(boolean sdkRetry)
            throws Exception {
        Map<String, String> s = new HashMap<>();
        if (!sdkRetry) {
            s.put("otel.java.exporter.otlp.retry.disabled", "true");
        }
        s.put("otel.exporter.otlp.protocol", "grpc");
        s.put("otel.exporter.otlp.endpoint", receiver.grpcEndpoint());
        s.put("otel.metrics.exporter", "none");
        s.put("otel.logs.exporter", "none");
        s.put("otel.service.name", "outage");
        s.put("sonde.spans.batchSize", "256");
        s.put("sonde.spans.minBatchSize", "16");
        s.put("sonde.spans.maxDelay", "50ms");
        s.put("sonde.spans.maxBackoff", "1s");
        s.put("sonde.spans.maxPendingBatches", "4");
        s.put("sonde.spans.targetLatency", "500ms");
        int methodId = SpanRecords.record(0, 0, 0, 1, 0, 1, "com.shop.Checkout", "pay", "")
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(SpanLayout.METHOD_OFFSET);
        List<App> apps;
        long distinctAtStop;
        long distinctAtRestart;
        try (RingBuf ring = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("outage_spans")
                .maxEntries(1 << 20).build());
                SondeExporters ex = SondeExporters.start(s)) {
            ex.spanNames(SpanRecords.NAMES);
            ex.addSpanRing(ring);
            apps = List.of(new App(ring, 1, methodId), new App(ring, 2, methodId));
            apps.forEach(Thread::start);
            Thread.sleep(1_500); // warm-up: JIT, connections
            phase = BEFORE;
            Thread.sleep(2_000);
            assertTrue(receiver.spans().size() > 0, "spans flow before the outage");

            receiver.stop();
            distinctAtStop = distinct(receiver.spans()).size();
            phase = OUTAGE;
            Thread.sleep(4_000);
            long droppedInOutage = ex.telemetry().droppedTotal(SondeTelemetry.BATCH_DROPPED)
                    + ex.telemetry().droppedTotal(SondeTelemetry.EXPORT_FAILED);
            assertEquals(distinctAtStop, distinct(receiver.spans()).size(), "nothing arrives while the backend is down");

            distinctAtRestart = distinctAtStop;
            receiver.restart();
            phase = AFTER;
            long deadline = System.nanoTime() + 20_000 * MS;
            while (distinct(receiver.spans()).size() <= distinctAtRestart) {
                assertTrue(System.nanoTime() < deadline, "export did not resume after the restart");
                Thread.sleep(20);
            }
            Thread.sleep(1_000);
            stop = true;
            for (App a : apps) {
                a.join();
            }
            assertTrue(ex.flush(), "flush settles every record committed before it");

            long calls = 0;
            long refused = 0;
            for (App a : apps) {
                calls += a.calls;
                refused += a.refused;
            }
            List<Span> received = receiver.spans();
            long got = distinct(received).size();
            SondeTelemetry t = ex.telemetry();
            long ringFull = t.droppedTotal(SondeTelemetry.RING_FULL);
            long failed = t.droppedTotal(SondeTelemetry.EXPORT_FAILED);
            long batchDropped = t.droppedTotal(SondeTelemetry.BATCH_DROPPED);
            long inFlight = calls - got - ringFull - failed - batchDropped;
            long before = median(apps, BEFORE);
            long during = median(apps, OUTAGE);
            System.out.printf("outage (SDK retry %s): calls %d = received %d (+%d duplicates) + ring_full %d + export_failed %d"
                    + " + batch_dropped %d + in flight %d; dropped during the outage so far %d%n", sdkRetry, calls, got,
                    received.size() - got, ringFull, failed, batchDropped, inFlight, droppedInOutage);
            System.out.printf("outage (SDK retry %s): median call (method + probe) before %d ns, during the outage %d ns, after %d ns;"
                    + " %d attempts refused by the receiver%n", sdkRetry, before, during, median(apps, AFTER), receiver.refused());

            assertTrue(got > distinctAtRestart, "export resumed");
            assertTrue(droppedInOutage > 0, "the outage's drops are counted");
            assertEquals(refused, ringFull, "every full-ring refusal is counted as ring_full");
            assertEquals(0, inFlight, "produced = received + dropped by cause, exactly");
            assertEquals(ex.spans().exported(), got, "what Sonde counts as exported is what the backend has");
            assertTrue(during < Math.max(3 * before, before + 20_000),
                    "the outage slowed the application: median " + during + " ns against " + before + " ns before");
        }
    }
}
