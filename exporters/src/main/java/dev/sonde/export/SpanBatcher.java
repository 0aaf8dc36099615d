package dev.sonde.export;

import com.lmax.disruptor.EventHandler;
import dev.sonde.probes.structops.PacingCtx;
import dev.sonde.probes.structops.PacingPolicy;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The export stage, the Disruptor's one handler: decodes each record into a span, closes a batch at the pacing
 * policy's {@code batch_size} or once the oldest span in it waited its {@code delay_nanos} (checked at the end of
 * each Disruptor batch and on the wait strategy's time-outs), and hands batches to the exporter one at a time, as
 * the SDK requires. The policy is the {@code pacing_ops} struct_ops subsystem ({@link PacingPolicy}, AIMD unless a
 * map registers another): asked when a batch opens, told how each export went, and after a failed export asked
 * how long to wait before the next (back-off). All policy calls run on this stage's thread.
 *
 * <p>A slow or dead backend never blocks this thread: while an export is in flight or backing off, closed batches
 * queue up to {@code maxPending}, and past that the oldest is dropped and counted ({@code batch_dropped}); a
 * failed export is counted as {@code export_failed}. So memory stays bounded and the Disruptor keeps draining.
 * Every decoded span ends in exactly one of exported, {@code export_failed} or {@code batch_dropped}: an export's
 * result is counted once, by its completion, whatever the SDK exporter retried inside it.
 */
final class SpanBatcher implements EventHandler<SpanEvent> {
    private final SpanDecoder decoder;
    private final SpanExporter exporter;
    private final SondeTelemetry telemetry;
    private final PacingCtx pacing;
    private final int maxPending;
    private final ArrayDeque<List<SpanData>> pending = new ArrayDeque<>();
    private List<SpanData> batch = new ArrayList<>();
    private long batchStart;
    /** The open batch's bounds, asked of the policy when it opened. */
    private int batchLimit;
    private long batchDelay;
    /** After a failed export: no export starts before {@link #retryAt}. */
    private boolean backingOff;
    private long retryAt;
    /** The export in flight (one at a time), its start and size; its completion writes the result fields. */
    private CompletableResultCode inFlight;
    private long sentAt;
    private int sentSize;
    private volatile boolean doneOk;
    /** Written last by the completion, after the counts: non-zero means the in-flight export is settled. */
    private volatile long doneAt;
    private volatile long exported;
    /** The last Disruptor sequence this stage took in. */
    private long lastSeq = -1;
    /** Flush requests: every record up to {@code flushTarget} sent; {@code flushedTo} is how far that holds. */
    private volatile long flushTarget = -1;
    private volatile long flushedTo = -1;
    /** Opened when the Disruptor's thread has left the handler for good, so {@link #drain} may take over. */
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    SpanBatcher(SpanDecoder decoder, SpanExporter exporter, SondeTelemetry telemetry, PacingCtx pacing, int maxPending) {
        this.decoder = decoder;
        this.exporter = exporter;
        this.telemetry = telemetry;
        this.pacing = pacing;
        this.maxPending = maxPending;
    }

    @Override
    public void onEvent(SpanEvent e, long sequence, boolean endOfBatch) {
        lastSeq = sequence;
        try {
            SpanData s = decoder.decode(ByteBuffer.wrap(e.data, 0, e.length));
            if (batch.isEmpty()) {
                batchStart = System.nanoTime();
                batchLimit = PacingPolicy.batchSize(pacing);
                batchDelay = PacingPolicy.delayNanos(pacing);
            }
            batch.add(s);
        } catch (RuntimeException bad) {
            telemetry.dropped(SondeTelemetry.EXPORT_FAILED, 1);
        }
        if (batch.size() >= batchLimit || endOfBatch && due()) {
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
        return !batch.isEmpty() && System.nanoTime() - batchStart >= batchDelay;
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

    /** Closes the open batch into the pending queue, dropping the oldest pending batch when the queue is full. */
    void close() {
        if (batch.isEmpty()) {
            return;
        }
        pending.addLast(batch);
        batch = new ArrayList<>();
        while (pending.size() > maxPending) {
            telemetry.dropped(SondeTelemetry.BATCH_DROPPED, pending.pollFirst().size());
        }
    }

    /**
     * Settles a finished export with the policy, then starts the next one unless one is in flight or the stage is
     * backing off after a failure ({@code force} ignores the back-off: a flush or the final drain). Returns true
     * when nothing is left to send and nothing is in flight.
     */
    boolean send(boolean force) {
        if (inFlight != null) {
            long end = doneAt;
            if (end == 0) {
                return false;
            }
            inFlight = null;
            boolean ok = doneOk;
            PacingPolicy.onExport(pacing, end - sentAt, ok, sentSize);
            backingOff = !ok;
            if (!ok) {
                retryAt = end + PacingPolicy.delayNanos(pacing);
            }
        }
        if (pending.isEmpty()) {
            return true;
        }
        if (!force && backingOff && System.nanoTime() - retryAt < 0) {
            return false;
        }
        List<SpanData> b = pending.pollFirst();
        int n = b.size();
        doneAt = 0;
        sentSize = n;
        sentAt = System.nanoTime();
        CompletableResultCode r = export(b);
        inFlight = r;
        r.whenComplete(() -> {
            boolean ok = r.isSuccess();
            if (ok) {
                exported += n; // written by one completion at a time: exports never overlap
            } else {
                telemetry.dropped(SondeTelemetry.EXPORT_FAILED, n);
            }
            doneOk = ok;
            doneAt = Math.max(1, System.nanoTime()); // last: the stage reads the counts and result after it
        });
        return false;
    }

    private CompletableResultCode export(List<SpanData> b) {
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
            if (inFlight != null) {
                inFlight.join(left, TimeUnit.NANOSECONDS);
                if (doneAt == 0 && inFlight.isDone()) {
                    Thread.yield(); // done, but its completion action is still running on the exporter's thread
                }
            }
        }
        for (List<SpanData> b : pending) {
            telemetry.dropped(SondeTelemetry.BATCH_DROPPED, b.size());
        }
        pending.clear();
    }

    long exported() {
        return exported;
    }
}
