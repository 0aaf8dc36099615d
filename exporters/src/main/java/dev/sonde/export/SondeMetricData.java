package dev.sonde.export;

import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.metrics.data.Data;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.MetricDataType;
import io.opentelemetry.sdk.resources.Resource;

/**
 * One metric as the SDK's exporters take it. The SDK's own immutable implementation lives in an {@code internal}
 * package; this small public-API one keeps Sonde off internals that may change between SDK releases.
 */
final class SondeMetricData implements MetricData {
    private final Resource resource;
    private final InstrumentationScopeInfo scope;
    private final String name;
    private final String description;
    private final String unit;
    private final MetricDataType type;
    private final Data<?> data;

    SondeMetricData(Resource resource, InstrumentationScopeInfo scope, String name, String description, String unit,
            MetricDataType type, Data<?> data) {
        this.resource = resource;
        this.scope = scope;
        this.name = name;
        this.description = description;
        this.unit = unit;
        this.type = type;
        this.data = data;
    }

    @Override public Resource getResource() { return resource; }
    @Override public InstrumentationScopeInfo getInstrumentationScopeInfo() { return scope; }
    @Override public String getName() { return name; }
    @Override public String getDescription() { return description; }
    @Override public String getUnit() { return unit; }
    @Override public MetricDataType getType() { return type; }
    @Override public Data<?> getData() { return data; }

    @Override
    public String toString() {
        return "SondeMetricData{" + name + " " + type + " " + data + "}";
    }
}
