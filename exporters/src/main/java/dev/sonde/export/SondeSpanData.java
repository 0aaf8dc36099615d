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

/** A finished span decoded from a span record: immutable, what the SDK's span exporters take. */
final class SondeSpanData implements SpanData {
    static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.create("dev.sonde.span");

    private final String name;
    private final SpanContext context;
    private final SpanContext parent;
    private final StatusData status;
    private final long start;
    private final long end;
    private final Attributes attributes;
    private final List<EventData> events;
    private final Resource resource;

    SondeSpanData(String name, SpanContext context, SpanContext parent, StatusData status, long start, long end,
            Attributes attributes, List<EventData> events, Resource resource) {
        this.name = name;
        this.context = context;
        this.parent = parent;
        this.status = status;
        this.start = start;
        this.end = end;
        this.attributes = attributes;
        this.events = events;
        this.resource = resource;
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
