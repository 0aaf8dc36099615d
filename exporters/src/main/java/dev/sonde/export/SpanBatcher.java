package dev.sonde.export;

import com.lmax.disruptor.EventHandler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The export stage, the Disruptor's one handler: decodes each record into a span of the open batch, closes the batch
 * at {@code maxBatch} spans or once the oldest span in it waited {@code maxDelay} (checked at the end of each
 * Disruptor batch and on the wait strategy's time-outs), and hands batches to the exporter one at a time, as the SDK
 * requires. The next batch leaves as soon as the export before it completes (from that completion), not at the next
 * record or time-out, so the exporter is never idle while batches wait. A slow or dead backend never blocks this
 * thread: while an export is in flight, closed batches queue up to {@code maxPending}, and past that the oldest is
 * dropped and counted ({@code batch_dropped}); a failed export is counted as {@code export_failed}. So memory stays
 * bounded and the Disruptor keeps draining.
 *
 * <p>Batches and their span objects are reused ({@link SpanBatch}): a batch goes back to the free list once its
 * export's result is complete, success or failure, or when it is dropped unsent. The SDK's exporters are done with
 * the data by then: their own reusable marshalers, which hold the span list, go back to their pool on that same
 * completion. So a backend that keeps failing costs no garbage either.
 */
final class SpanBatcher implements EventHandler<SpanEvent> {
    private final SpanDecoder decoder;
    private final Resource resource;
    private final SpanExporter exporter;
    private final SondeTelemetry telemetry;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final int maxPending;
    /** Closed batches waiting for the exporter, and batches free for reuse; both guarded by {@code lock}. */
    private final ArrayDeque<SpanBatch> pending = new ArrayDeque<>();
    private final ArrayDeque<SpanBatch> free = new ArrayDeque<>();
    private final Object lock = new Object();
    /** Set while an export is in flight: whoever sets it starts the one export, its completion clears it. */
    private final AtomicBoolean exporting = new AtomicBoolean();
    private volatile CompletableResultCode inFlight;
    /** The open batch: the Disruptor thread's alone (the closing thread's after it stopped). */
    private SpanBatch batch;
    private long batchStart;
    private volatile long exported;
    private final CountDownLatch started = new CountDownLatch(1);
    /** Opened when the Disruptor's thread has left the handler for good, so {@link #drain} may take over. */
    private final CountDownLatch stopped = new CountDownLatch(1);

    SpanBatcher(SpanDecoder decoder, Resource resource, SpanExporter exporter, SondeTelemetry telemetry, int maxBatch,
            long maxDelayNanos, int maxPending) {
        this.decoder = decoder;
        this.resource = resource;
        this.exporter = exporter;
        this.telemetry = telemetry;
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelayNanos;
        this.maxPending = maxPending;
    }

    @Override
    public void onEvent(SpanEvent e, long sequence, boolean endOfBatch) {
        if (batch == null) {
            batch = take();
        }
        try {
            decoder.decode(e.data, e.length, batch.next());
            if (batch.isEmpty()) {
                batchStart = System.nanoTime();
            }
            batch.add();
        } catch (RuntimeException bad) {
            telemetry.dropped(SondeTelemetry.EXPORT_FAILED, 1);
        }
        if (batch.isFull() || endOfBatch && !batch.isEmpty() && System.nanoTime() - batchStart >= maxDelayNanos) {
            close();
        }
        if (endOfBatch) {
            send();
        }
    }

    @Override
    public void onTimeout(long sequence) {
        if (batch != null && !batch.isEmpty() && System.nanoTime() - batchStart >= maxDelayNanos) {
            close();
        }
        send();
    }

    @Override
    public void onStart() {
        started.countDown();
    }

    /**
     * Waits for the Disruptor's thread to be running: a Disruptor shut down before its consumer started sees no
     * backlog and halts with the published events unprocessed.
     */
    void awaitStarted() {
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void onShutdown() {
        stopped.countDown();
    }

    /** Waits (bounded) for the Disruptor's thread to leave the handler: after it, this state is the caller's alone. */
    boolean awaitStopped(long deadlineNanos) {
        try {
            return stopped.await(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private SpanBatch take() {
        SpanBatch b;
        synchronized (lock) {
            b = free.pollFirst();
        }
        return b != null ? b : new SpanBatch(maxBatch, resource);
    }

    private void recycle(SpanBatch b) {
        b.clear();
        synchronized (lock) {
            free.addLast(b);
        }
    }

    /** Closes the open batch into the pending queue, dropping the oldest pending batch when the queue is full. */
    void close() {
        if (batch == null || batch.isEmpty()) {
            return;
        }
        SpanBatch dropped = null;
        synchronized (lock) {
            pending.addLast(batch);
            if (pending.size() > maxPending) {
                dropped = pending.pollFirst();
            }
        }
        batch = null;
        if (dropped != null) {
            telemetry.dropped(SondeTelemetry.BATCH_DROPPED, dropped.size());
            recycle(dropped);
        }
    }

    /** Starts the next export if none is in flight. Returns true when nothing is left to send. */
    boolean send() {
        while (exporting.compareAndSet(false, true)) {
            SpanBatch b;
            synchronized (lock) {
                b = pending.pollFirst();
            }
            if (b != null) {
                start(b);
                return false;
            }
            exporting.set(false);
            synchronized (lock) {
                if (pending.isEmpty()) {
                    return true;
                }
            }
            // a batch closed between the poll and the reset: go round and send it
        }
        return false;
    }

    private void start(SpanBatch b) {
        int n = b.size();
        CompletableResultCode r = export(b);
        inFlight = r;
        r.whenComplete(() -> {
            if (r.isSuccess()) {
                exported += n; // one completion at a time: exports never overlap
            } else {
                telemetry.dropped(SondeTelemetry.EXPORT_FAILED, n);
            }
            recycle(b);
            exporting.set(false);
            send();
        });
    }

    private CompletableResultCode export(SpanBatch b) {
        try {
            return exporter.export(b);
        } catch (RuntimeException ex) {
            return CompletableResultCode.ofFailure();
        }
    }

    /**
     * After the Disruptor halted (so on the closing thread, the handler thread being gone): closes the open batch
     * and sends everything until {@code deadlineNanos}; what is left then is dropped and counted.
     */
    void drain(long deadlineNanos) {
        close();
        while (!send()) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                break;
            }
            CompletableResultCode r = inFlight;
            if (r != null && !r.isDone()) {
                r.join(left, TimeUnit.NANOSECONDS);
            } else {
                Thread.onSpinWait(); // the completion is handing over to the next export
            }
        }
        synchronized (lock) {
            for (SpanBatch b : pending) {
                telemetry.dropped(SondeTelemetry.BATCH_DROPPED, b.size());
            }
            pending.clear();
        }
    }

    long exported() {
        return exported;
    }
}
