package dev.sonde.export;

import com.lmax.disruptor.EventHandler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The export stage, the Disruptor's one handler: decodes each record into a span, closes a batch at
 * {@code maxBatch} spans or once the oldest span in it waited {@code maxDelay} (checked at the end of each
 * Disruptor batch and on the wait strategy's time-outs), and hands batches to the exporter one at a time, as the
 * SDK requires. A slow or dead backend never blocks this thread: while an export is in flight, closed batches
 * queue up to {@code maxPending}, and past that the oldest is dropped and counted ({@code batch_dropped}); a failed
 * export is counted as {@code export_failed}. So memory stays bounded and the Disruptor keeps draining.
 */
final class SpanBatcher implements EventHandler<SpanEvent> {
    private final SpanDecoder decoder;
    private final SpanExporter exporter;
    private final SondeTelemetry telemetry;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final int maxPending;
    private final ArrayDeque<List<SpanData>> pending = new ArrayDeque<>();
    private List<SpanData> batch = new ArrayList<>();
    private long batchStart;
    private CompletableResultCode inFlight;
    private volatile long exported;
    /** Opened when the Disruptor's thread has left the handler for good, so {@link #drain} may take over. */
    private final java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);

    SpanBatcher(SpanDecoder decoder, SpanExporter exporter, SondeTelemetry telemetry, int maxBatch, long maxDelayNanos,
            int maxPending) {
        this.decoder = decoder;
        this.exporter = exporter;
        this.telemetry = telemetry;
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelayNanos;
        this.maxPending = maxPending;
    }

    @Override
    public void onEvent(SpanEvent e, long sequence, boolean endOfBatch) {
        try {
            SpanData s = decoder.decode(ByteBuffer.wrap(e.data, 0, e.length));
            if (batch.isEmpty()) {
                batchStart = System.nanoTime();
            }
            batch.add(s);
        } catch (RuntimeException bad) {
            telemetry.dropped(SondeTelemetry.EXPORT_FAILED, 1);
        }
        if (batch.size() >= maxBatch || endOfBatch && !batch.isEmpty() && System.nanoTime() - batchStart >= maxDelayNanos) {
            close();
        }
        if (endOfBatch) {
            send();
        }
    }

    @Override
    public void onTimeout(long sequence) {
        if (!batch.isEmpty() && System.nanoTime() - batchStart >= maxDelayNanos) {
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

    /** Starts the next export if none is in flight. Returns true when nothing is left to send. */
    boolean send() {
        if (inFlight != null) {
            if (!inFlight.isDone()) {
                return false;
            }
            inFlight = null;
        }
        List<SpanData> b = pending.pollFirst();
        if (b == null) {
            return true;
        }
        CompletableResultCode r = export(b);
        int n = b.size();
        r.whenComplete(() -> {
            if (r.isSuccess()) {
                exported += n; // written by one completion at a time: exports never overlap
            } else {
                telemetry.dropped(SondeTelemetry.EXPORT_FAILED, n);
            }
        });
        inFlight = r;
        return false;
    }

    private CompletableResultCode export(List<SpanData> b) {
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
            if (inFlight != null) {
                inFlight.join(left, TimeUnit.NANOSECONDS);
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
