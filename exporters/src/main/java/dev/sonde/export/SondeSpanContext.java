package dev.sonde.export;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;

/**
 * The ids of a decoded span (or of its parent), refilled with each record, sampled, never remote. The decoder's ids
 * are never all-zero, so the context is always valid (no per-call re-check of the hex strings).
 */
final class SondeSpanContext implements SpanContext {
    private String traceId;
    private String spanId;

    void set(String traceId, String spanId) {
        this.traceId = traceId;
        this.spanId = spanId;
    }

    @Override public String getTraceId() { return traceId; }
    @Override public String getSpanId() { return spanId; }
    @Override public TraceFlags getTraceFlags() { return TraceFlags.getSampled(); }
    @Override public TraceState getTraceState() { return TraceState.getDefault(); }
    @Override public boolean isValid() { return true; }
    @Override public boolean isRemote() { return false; }

    @Override
    public String toString() {
        return "SondeSpanContext{" + traceId + "/" + spanId + "}";
    }
}
