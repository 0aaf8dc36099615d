package dev.sonde.export;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.LiteTimeoutBlockingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
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
     * @param names      the methods and exception classes behind the records' ids
     * @param capacity   Disruptor slots, a power of two
     * @param maxBatch   spans per export at most
     * @param maxDelay   how long a span may wait for its batch to fill
     * @param maxPending closed batches kept while an export is in flight; past that the oldest is dropped
     */
    public SpanPipeline(SpanExporter exporter, Resource resource, SpanNames names, SondeTelemetry telemetry, int capacity,
            int maxBatch, Duration maxDelay, int maxPending, Duration shutdownTimeout) {
        this.batcher = new SpanBatcher(new SpanDecoder(new SecureRandom().nextLong(), names), resource, exporter,
                telemetry, maxBatch, maxDelay.toNanos(), maxPending);
        this.shutdownTimeout = shutdownTimeout;
        // The time-out wakes the handler while idle so a half-full batch still leaves after maxDelay; blocking,
        // not spinning, because this runs inside someone else's JVM on cores it does not own. The lite variant
        // signals only when the handler is actually parked (the plain one takes a lock and notifies per publish).
        long tick = Math.max(1, maxDelay.toMillis() / 2);
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
