package dev.sonde.export;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a configured log exporter so the records of a failed export count as {@code export_failed}, and tells
 * {@link ExportHealth} how each export ended. An export still retrying when Sonde shuts down is counted by
 * {@link #abandon} before the last metrics go out, and then never again, whatever its late result.
 */
final class CountingLogExporter implements LogRecordExporter {
    private final LogRecordExporter delegate;
    private final SondeTelemetry telemetry;
    private final ExportHealth health;
    /** Records of each export not settled yet: whoever takes an entry's count to 0 (completion or abandon) counts. */
    private final Set<AtomicInteger> inFlight = ConcurrentHashMap.newKeySet();
    /** Records whose export is settled: exported, failed, or abandoned at shutdown. */
    private final java.util.concurrent.atomic.AtomicLong settled = new java.util.concurrent.atomic.AtomicLong();

    CountingLogExporter(LogRecordExporter delegate, SondeTelemetry telemetry, ExportHealth health) {
        this.delegate = delegate;
        this.telemetry = telemetry;
        this.health = health;
    }

    @Override
    public CompletableResultCode export(Collection<LogRecordData> logs) {
        AtomicInteger pending = new AtomicInteger(logs.size());
        inFlight.add(pending);
        CompletableResultCode r = delegate.export(logs);
        r.whenComplete(() -> {
            inFlight.remove(pending);
            int n = pending.getAndSet(0);
            settled.addAndGet(n);
            if (r.isSuccess()) {
                health.succeeded();
            } else {
                health.failed();
                telemetry.dropped(SondeTelemetry.EXPORT_FAILED, n);
            }
        });
        return r;
    }

    /** Counts the records of every export still in flight as {@code export_failed}: shutdown ran out of time. */
    void abandon() {
        for (AtomicInteger pending : inFlight) {
            int n = pending.getAndSet(0);
            if (n > 0) {
                settled.addAndGet(n);
                telemetry.dropped(SondeTelemetry.EXPORT_FAILED, n);
            }
        }
    }

    /** Records whose export is settled (exported, failed or abandoned). */
    long settled() {
        return settled.get();
    }

    @Override
    public CompletableResultCode flush() {
        return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
        return delegate.shutdown();
    }

    @Override
    public String toString() {
        return "CountingLogExporter{" + delegate + "}";
    }
}
