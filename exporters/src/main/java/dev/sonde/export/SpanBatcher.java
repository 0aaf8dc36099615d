package dev.sonde.export;

import com.lmax.disruptor.EventHandler;
import dev.sonde.probes.structops.PacingCtx;
import dev.sonde.probes.structops.PacingPolicy;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The export stage, the Disruptor's one handler: decodes each record into a span of the open batch, closes the batch
 * at the pacing policy's {@code batch_size} or once the oldest span in it waited its {@code delay_nanos} (checked at
 * the end of each Disruptor batch and on the wait strategy's time-outs), and hands batches to the exporter one at a
 * time, as the SDK requires. The policy is the {@code pacing_ops} struct_ops subsystem ({@link PacingPolicy}, AIMD
 * unless a map registers another): asked when a batch opens, told how each export went, and after a failed export
 * asked how long to wait before the next (back-off). Policy calls are serialised under {@code lock}: the stage's
 * thread asks, an export's completion tells.
 *
 * <p>After a successful export the next batch leaves from that completion, not at the next record or time-out, so
 * the exporter is never idle while batches wait; after a failure the stage's own ticks send again once the back-off
 * is over. A slow or dead backend never blocks this thread: while an export is in flight or backing off, closed
 * batches queue up to {@code maxPending}, and past that the oldest is dropped and counted ({@code batch_dropped}); a
 * failed export is counted as {@code export_failed}. Every decoded span ends in exactly one of exported,
 * {@code export_failed} or {@code batch_dropped}: an export's result is counted once, by its completion, whatever the
 * SDK exporter retried inside it.
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
    private final PacingCtx pacing;
    private final int maxPending;
    /** Closed batches waiting for the exporter, batches free for reuse, and the pacing state; guarded by it. */
    private final ArrayDeque<SpanBatch> pending = new ArrayDeque<>();
    private final ArrayDeque<SpanBatch> free = new ArrayDeque<>();
    private final Object lock = new Object();
    /** After a failed export no export starts before {@code retryAt} (guarded by {@code lock}). */
    private boolean backingOff;
    private long retryAt;
    /** Set while an export is in flight: whoever sets it starts the one export, its completion clears it. */
    private final AtomicBoolean exporting = new AtomicBoolean();
    private volatile CompletableResultCode inFlight;
    /**
     * Spans of the export in flight not counted yet: its completion takes them (exported or export_failed), unless
     * a drain that ran out of time took them first (export_failed): each span is counted once either way.
     */
    private final java.util.concurrent.atomic.AtomicInteger inFlightSpans = new java.util.concurrent.atomic.AtomicInteger();
    /** The open batch: the Disruptor thread's alone (the closing thread's after it stopped). */
    private SpanBatch batch;
    private long batchStart;
    /** The open batch's bounds, asked of the policy when it opened. */
    private int batchLimit;
    private long batchDelay;
    private volatile long exported;
    /** The last Disruptor sequence this stage took in. */
    private long lastSeq = -1;
    /** Flush requests: every record up to {@code flushTarget} sent; {@code flushedTo} is how far that holds. */
    private volatile long flushTarget = -1;
    private volatile long flushedTo = -1;
    private final CountDownLatch started = new CountDownLatch(1);
    /** Opened when the Disruptor's thread has left the handler for good, so {@link #drain} may take over. */
    private final CountDownLatch stopped = new CountDownLatch(1);

    SpanBatcher(SpanDecoder decoder, Resource resource, SpanExporter exporter, SondeTelemetry telemetry,
            PacingCtx pacing, int maxPending) {
        this.decoder = decoder;
        this.resource = resource;
        this.exporter = exporter;
        this.telemetry = telemetry;
        this.pacing = pacing;
        this.maxPending = maxPending;
    }

    @Override
    public void onEvent(SpanEvent e, long sequence, boolean endOfBatch) {
        lastSeq = sequence;
        if (batch == null) {
            batch = take();
        }
        try {
            decoder.decode(e.data, e.length, batch.next());
            if (batch.isEmpty()) {
                batchStart = System.nanoTime();
                synchronized (lock) {
                    batchLimit = PacingPolicy.batchSize(pacing);
                    batchDelay = PacingPolicy.delayNanos(pacing);
                }
            }
            batch.add();
        } catch (RuntimeException bad) {
            telemetry.dropped(SondeTelemetry.EXPORT_FAILED, 1);
        }
        if (batch.size() >= batchLimit || batch.isFull() || endOfBatch && due()) {
            close();
        }
        if (endOfBatch) {
            send(false);
            flushIfAsked();
        }
    }

    @Override
    public void onTimeout(long sequence) {
        lastSeq = sequence;
        if (due()) {
            close();
        }
        send(false);
        flushIfAsked();
    }

    private boolean due() {
        return batch != null && !batch.isEmpty() && System.nanoTime() - batchStart >= batchDelay;
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
        return b != null ? b : new SpanBatch(pacing.maxBatch, resource);
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

    /**
     * Starts the next export unless one is in flight or the stage is backing off after a failure ({@code force}
     * ignores the back-off: a flush or the final drain). Returns true when nothing is left to send and nothing is
     * in flight.
     */
    boolean send(boolean force) {
        while (exporting.compareAndSet(false, true)) {
            SpanBatch b;
            boolean waiting;
            synchronized (lock) {
                waiting = !force && backingOff && System.nanoTime() - retryAt < 0;
                b = waiting ? null : pending.pollFirst();
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
            if (waiting) {
                return false;
            }
            // a batch closed between the poll and the reset: go round and send it
        }
        return false;
    }

    private void start(SpanBatch b) {
        int n = b.size();
        long sentAt = System.nanoTime();
        inFlightSpans.set(n);
        CompletableResultCode r = export(b);
        inFlight = r;
        r.whenComplete(() -> {
            boolean ok = r.isSuccess();
            int m = inFlightSpans.getAndSet(0);
            if (ok) {
                exported += m; // one completion at a time: exports never overlap
            } else if (m > 0) {
                telemetry.dropped(SondeTelemetry.EXPORT_FAILED, m);
            }
            long end = System.nanoTime();
            synchronized (lock) {
                PacingPolicy.onExport(pacing, end - sentAt, ok, n);
                backingOff = !ok;
                if (!ok) {
                    retryAt = end + PacingPolicy.delayNanos(pacing);
                }
            }
            recycle(b);
            exporting.set(false); // last: a flush or drain that sees it clear sees the counts above
            if (ok) {
                send(false);
            }
        });
    }

    private CompletableResultCode export(SpanBatch b) {
        try {
            return exporter.export(b);
        } catch (RuntimeException ex) {
            return CompletableResultCode.ofFailure();
        }
    }

    /** On the stage's thread: serves a flush request once every record up to its target has been taken in. */
    private void flushIfAsked() {
        long target = flushTarget;
        if (target > flushedTo && lastSeq >= target) {
            close();
            if (send(true)) {
                flushedTo = target;
            }
        }
    }

    /**
     * Asks the stage to send everything up to Disruptor sequence {@code target} now (open batch closed, back-off
     * ignored) and waits until it is settled (exported or counted as dropped) or {@code deadlineNanos}. The stage
     * serves it between Disruptor batches, so at the latest on its next time-out tick. Control plane only.
     */
    boolean flush(long target, long deadlineNanos) {
        if (flushedTo >= target) {
            return true;
        }
        if (flushTarget < target) {
            flushTarget = target;
        }
        while (flushedTo < target) {
            if (deadlineNanos - System.nanoTime() <= 0 || stopped.getCount() == 0) {
                return flushedTo >= target;
            }
            LockSupport.parkNanos(this, 1_000_000L);
        }
        return true;
    }

    /**
     * After the Disruptor halted (so on the closing thread, the handler thread being gone): closes the open batch
     * and sends everything until {@code deadlineNanos}; what is left then is dropped and counted.
     */
    void drain(long deadlineNanos) {
        close();
        while (!send(true)) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                break;
            }
            CompletableResultCode r = inFlight;
            if (r != null && !r.isDone()) {
                r.join(left, TimeUnit.NANOSECONDS);
            } else {
                Thread.onSpinWait(); // the completion is settling, or handing over to the next export
            }
        }
        synchronized (lock) {
            for (SpanBatch b : pending) {
                telemetry.dropped(SondeTelemetry.BATCH_DROPPED, b.size());
            }
            pending.clear();
        }
        // Out of time with an export still retrying: its spans count now, before the last metrics go out.
        int m = inFlightSpans.getAndSet(0);
        if (m > 0) {
            telemetry.dropped(SondeTelemetry.EXPORT_FAILED, m);
        }
    }

    long exported() {
        return exported;
    }
}
