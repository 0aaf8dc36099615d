package dev.sonde.export;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.LiteTimeoutBlockingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import dev.sonde.probes.structops.PacingCtx;
import dev.sonde.probes.structops.PacingPolicy;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Span records → OTLP spans: {@link #publish} copies a record into a preallocated Disruptor event (one producer:
 * the ringbuf consumer thread) and {@link #flush} makes the copies so far visible at once, so the export stage is
 * signalled once per pass over the rings rather than once per record; {@link SpanBatcher} on the Disruptor's thread
 * decodes, batches and exports.
 * When the Disruptor is full, {@code publish} waits, which only holds back the ringbuf consumer: the ring then
 * fills and programs' reservations fail at once, counted as {@code ring_full}, so the application never waits.
 */
public final class SpanPipeline implements AutoCloseable {
    private final Disruptor<SpanEvent> disruptor;
    private final RingBuffer<SpanEvent> ring;
    private final SpanBatcher batcher;
    private final Duration shutdownTimeout;
    private volatile boolean closed;
    /** Copied but not yet published (the publishing thread's alone): every sequence up to {@code claimed}. */
    private long claimed = -1;
    private long published = -1;
    /** Published at least this often, so the export stage never waits long for a copy and never for a whole ring. */
    private static final int PUBLISH_EVERY = 64;

    /**
     * A pipeline with fixed pacing: batches of {@code maxBatch} spans at most, closed after {@code maxDelay}
     * (a registered {@code pacing_ops} policy is clamped to exactly these; after a failed export the next waits
     * {@code maxDelay}). See the main constructor.
     */
    public SpanPipeline(SpanExporter exporter, Resource resource, SpanNames names, SondeTelemetry telemetry, int capacity,
            int maxBatch, Duration maxDelay, int maxPending, Duration shutdownTimeout) {
        this(exporter, resource, names, telemetry, capacity, new PacingCtx(maxBatch, maxBatch, maxDelay.toNanos(),
                maxDelay.toNanos(), Long.MAX_VALUE), maxPending, shutdownTimeout);
    }

    /**
     * @param names      the methods and exception classes behind the records' ids
     * @param capacity   Disruptor slots, a power of two
     * @param pacing     the bounds the pacing policy ({@link PacingPolicy}) steers batch size and delay within; this
     *                   pipeline's own, touched only by its export stage from now on
     * @param maxPending closed batches kept while an export is in flight; past that the oldest is dropped
     */
    public SpanPipeline(SpanExporter exporter, Resource resource, SpanNames names, SondeTelemetry telemetry, int capacity,
            PacingCtx pacing, int maxPending, Duration shutdownTimeout) {
        this.batcher = new SpanBatcher(new SpanDecoder(new SecureRandom().nextLong(), names), resource, exporter,
                telemetry, pacing, maxPending);
        this.shutdownTimeout = shutdownTimeout;
        // The time-out wakes the handler while idle so a half-full batch still leaves after its delay, and a
        // back-off ends on time; blocking, not spinning, because this runs inside someone else's JVM on cores it
        // does not own. Half the shortest delay, so a batch waits at most 1.5 times its delay. The lite variant
        // signals only when the handler is actually parked (the plain one takes a lock and notifies per publish).
        long tick = Math.max(1, pacing.minDelayNanos / 2_000_000L);
        disruptor = new Disruptor<>(SpanEvent::new, capacity, r -> {
            Thread t = new Thread(r, "sonde-span-export");
            t.setDaemon(true);
            return t;
        }, ProducerType.SINGLE, new LiteTimeoutBlockingWaitStrategy(tick, TimeUnit.MILLISECONDS));
        disruptor.handleEventsWith(batcher);
        ring = disruptor.start();
        batcher.awaitStarted();
    }

    /**
     * Copies {@code record} (position to limit) into the pipeline; it reaches the export stage at the next
     * {@link #flush}, after {@value #PUBLISH_EVERY} records at most, or at {@link #close}. Single producer: call from
     * one thread only. Returns 0, or -1 once closed (the record is counted as dropped by the caller's cause).
     */
    public int publish(ByteBuffer record) {
        if (closed) {
            return -1;
        }
        // Waits only while the Disruptor is full of published events: fewer than PUBLISH_EVERY are unpublished.
        long seq = ring.next();
        SpanEvent e = ring.get(seq);
        try {
            e.copyFrom(record);
        } catch (RuntimeException bad) {
            e.length = 0; // the decoder refuses it and counts it
        }
        claimed = seq;
        if (seq - published >= PUBLISH_EVERY) {
            flush();
        }
        return 0;
    }

    /** Publishes the records copied since the last flush, with one signal. The publishing thread calls it. */
    public void flush() {
        if (claimed > published) {
            ring.publish(published + 1, claimed);
            published = claimed;
        }
    }

    /** Spans the exporter accepted so far. */
    public long exported() {
        return batcher.exported();
    }

    /**
     * Sends everything published so far now (the open batch closed, a back-off cut short) and waits until each of
     * those records is exported or counted as dropped, or until {@code deadlineNanos}. Returns whether it got
     * there. Records published meanwhile are not waited for. Control plane: served by the export stage between
     * Disruptor batches, at the latest on its next idle tick.
     */
    public synchronized boolean flush(long deadlineNanos) {
        if (closed) {
            return true;
        }
        return batcher.flush(ring.getCursor(), deadlineNanos);
    }

    /** Drains: every published record is decoded and sent, within the shutdown timeout. */
    @Override
    public void close() {
        close(System.nanoTime() + shutdownTimeout.toNanos());
    }

    /** Drains until {@code deadlineNanos} ({@link System#nanoTime()}); what is left then is dropped and counted. */
    public void close(long deadlineNanos) {
        if (closed) {
            return;
        }
        flush(); // the publishing thread has stopped (the drainer is closed first) or is this one
        closed = true;
        try {
            disruptor.shutdown(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (com.lmax.disruptor.TimeoutException e) {
            disruptor.halt();
        }
        if (batcher.awaitStopped(deadlineNanos)) {
            batcher.drain(deadlineNanos);
        }
    }
}
