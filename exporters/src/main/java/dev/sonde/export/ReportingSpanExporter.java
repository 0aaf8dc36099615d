package dev.sonde.export;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;

/** Tells {@link ExportHealth} how each span export ended; the span stage counts the spans themselves. */
final class ReportingSpanExporter implements SpanExporter {
    private final SpanExporter delegate;
    private final ExportHealth health;

    ReportingSpanExporter(SpanExporter delegate, ExportHealth health) {
        this.delegate = delegate;
        this.health = health;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        return health.watch(delegate.export(spans));
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
        return "ReportingSpanExporter{" + delegate + "}";
    }
}
