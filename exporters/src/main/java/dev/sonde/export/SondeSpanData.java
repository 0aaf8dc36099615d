package dev.sonde.export;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.Collections;
import java.util.List;

/**
 * A finished span decoded from a span record, what the SDK's span exporters take. Reused: {@link SpanDecoder} refills
 * it for a new record once the export of the batch holding it has completed ({@link SpanBatch}), so decoding
 * allocates no span, context or attribute objects; an exporter must not keep it past its export's result, which the
 * SDK's exporters do not (they are done with the batch when their result completes).
 */
final class SondeSpanData implements SpanData {
    static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.create("dev.sonde.span");

    final SondeSpanContext context = new SondeSpanContext();
    private final SondeSpanContext parentContext = new SondeSpanContext();
    final SpanAttributes attributes = new SpanAttributes(3 + dev.sonde.probes.builtin.SpanLayout.MAX_ARGS);
    private final Resource resource;
    private String name;
    private SpanContext parent;
    private StatusData status;
    private long start;
    private long end;
    private List<EventData> events;

    SondeSpanData(Resource resource) {
        this.resource = resource;
    }

    /** Starts a refill: the attributes are emptied, the rest is set by {@link #set}. */
    SpanAttributes clearAttributes() {
        attributes.clear();
        return attributes;
    }

    /** {@code parentSpanId} null: a root. */
    void set(String name, String traceId, String spanId, String parentSpanId, StatusData status, long start, long end,
            List<EventData> events) {
        this.name = name;
        context.set(traceId, spanId);
        if (parentSpanId == null) {
            parent = SpanContext.getInvalid();
        } else {
            parentContext.set(traceId, parentSpanId);
            parent = parentContext;
        }
        this.status = status;
        this.start = start;
        this.end = end;
        this.events = events;
    }

    @Override public String getName() { return name; }
    @Override public SpanKind getKind() { return SpanKind.INTERNAL; }
    @Override public SpanContext getSpanContext() { return context; }
    @Override public SpanContext getParentSpanContext() { return parent; }
    @Override public StatusData getStatus() { return status; }
    @Override public long getStartEpochNanos() { return start; }
    @Override public Attributes getAttributes() { return attributes; }
    @Override public List<EventData> getEvents() { return events; }
    @Override public List<LinkData> getLinks() { return Collections.emptyList(); }
    @Override public long getEndEpochNanos() { return end; }
    @Override public boolean hasEnded() { return true; }
    @Override public int getTotalRecordedEvents() { return events.size(); }
    @Override public int getTotalRecordedLinks() { return 0; }
    @Override public int getTotalAttributeCount() { return attributes.size(); }
    @Override public InstrumentationScopeInfo getInstrumentationScopeInfo() { return SCOPE; }
    @Override public Resource getResource() { return resource; }

    @Override
    @SuppressWarnings("deprecation") // the interface still requires it
    public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
        return InstrumentationLibraryInfo.create(SCOPE.getName(), null);
    }

    @Override
    public String toString() {
        return "SondeSpanData{" + name + " " + context.getSpanId() + " parent " + parent.getSpanId() + "}";
    }
}
