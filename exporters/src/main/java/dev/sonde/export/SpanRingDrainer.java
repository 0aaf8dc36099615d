package dev.sonde.export;

import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * The drainer thread of the span rings: one {@link RingBufConsumer} over all of them, parked in
 * {@link RingBufConsumer#poll} while they are empty (a commit that finds it caught up wakes it), each record
 * copied into the {@link SpanPipeline}. Rings added later are handed over through a queue and an interrupt,
 * since a consumer belongs to the one thread that polls it. Each ring's drop count (reservations that found it
 * full) is reported as {@code sonde.records.dropped{cause=ring_full}}.
 */
public final class SpanRingDrainer implements AutoCloseable {
    private static final int POLL_MS = 1000;

    private final SpanPipeline pipeline;
    private final SondeTelemetry telemetry;
    private final ConcurrentLinkedQueue<RingBuf> added = new ConcurrentLinkedQueue<>();
    private final List<AutoCloseable> registrations = new ArrayList<>();
    private final List<RingBuf> rings = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean stopping;

    public SpanRingDrainer(SpanPipeline pipeline, SondeTelemetry telemetry) {
        this.pipeline = pipeline;
        this.telemetry = telemetry;
        this.thread = new Thread(this::run, "sonde-span-drainer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts draining {@code ring} (a ring of {@link dev.sonde.probes.builtin.SpanLayout} records). */
    public synchronized void add(RingBuf ring) {
        registrations.add(telemetry.registerDropped(SondeTelemetry.RING_FULL, ring::droppedRecords));
        rings.add(ring);
        added.add(ring);
        thread.interrupt();
    }

    /**
     * Waits until every record committed to the rings before this call has been handed to the pipeline, or until
     * {@code deadlineNanos}; returns whether it got there. The drainer is woken by the commits themselves, so
     * this only watches the consumer positions catch up with the producer positions seen on entry. Control plane.
     */
    public boolean flush(long deadlineNanos) {
        for (RingBuf r : rings) {
            long target = r.query(RingBuf.PROD_POS);
            while (r.query(RingBuf.CONS_POS) < target) {
                if (deadlineNanos - System.nanoTime() <= 0 || !thread.isAlive()) {
                    return false;
                }
                LockSupport.parkNanos(this, 1_000_000L);
            }
        }
        return true;
    }

    private void run() {
        RingBufConsumer consumer = null;
        try {
            while (true) {
                for (RingBuf r; (r = added.poll()) != null; ) {
                    if (consumer == null) {
                        consumer = RingBufConsumer.create(r, pipeline::publish);
                    } else {
                        consumer.add(r, pipeline::publish);
                    }
                }
                if (consumer == null) {
                    if (stopping) {
                        return;
                    }
                    try {
                        Thread.sleep(POLL_MS);
                    } catch (InterruptedException woken) {
                        // a ring was added, or close()
                    }
                    continue;
                }
                if (stopping) {
                    consumer.consume(); // what was committed before close() still goes out
                    pipeline.flush();
                    return;
                }
                consumer.poll(POLL_MS); // -EINTR when interrupted: loop round to pick up added rings
                pipeline.flush(); // one signal to the export stage per pass, not per record
                Thread.interrupted();
            }
        } finally {
            if (consumer != null) {
                consumer.close();
            }
        }
    }

    /** Stops after a last pass over the rings; the pipeline is the caller's to close. */
    @Override
    public synchronized void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (AutoCloseable r : registrations) {
            try {
                r.close();
            } catch (Exception ignored) {
                // removing from a list does not fail
            }
        }
    }
}
