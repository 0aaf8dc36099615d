package dev.sonde.export;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import java.util.Collection;

/** Wraps a configured log exporter so the records of a failed export count as {@code export_failed}. */
final class CountingLogExporter implements LogRecordExporter {
    private final LogRecordExporter delegate;
    private final SondeTelemetry telemetry;

    CountingLogExporter(LogRecordExporter delegate, SondeTelemetry telemetry) {
        this.delegate = delegate;
        this.telemetry = telemetry;
    }

    @Override
    public CompletableResultCode export(Collection<LogRecordData> logs) {
        int n = logs.size();
        CompletableResultCode r = delegate.export(logs);
        r.whenComplete(() -> {
            if (!r.isSuccess()) {
                telemetry.dropped(SondeTelemetry.EXPORT_FAILED, n);
            }
        });
        return r;
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
