package dev.sonde.probes.structops;

/**
 * The sampling policy's struct: the callbacks a {@code STRUCT_OPS} map registers into {@link SamplingPolicy},
 * one final field per slot, built once per registration.
 */
public final class SamplingOps {
    /** Slot {@code should_sample}, mandatory: whether the span starting now is recorded. */
    public static final String SHOULD_SAMPLE = "should_sample";
    /** Slot {@code on_span_end}, optional: told every sampled span's duration, to adapt the rate. */
    public static final String ON_SPAN_END = "on_span_end";

    /** Called by the {@code span} program on every instrumented entry: keep it allocation-free and quick. */
    @FunctionalInterface
    public interface ShouldSample {
        boolean shouldSample(long methodId, long threadId, long nowNanos);
    }

    /** Called when a sampled span ends. */
    @FunctionalInterface
    public interface OnSpanEnd {
        void onSpanEnd(long methodId, long durationNanos);
    }

    public final ShouldSample shouldSample;
    public final OnSpanEnd onSpanEnd;

    /** From one callback per slot, in slot order ({@code should_sample}, {@code on_span_end}). */
    SamplingOps(Object[] callbacks) {
        this.shouldSample = (ShouldSample) callbacks[0];
        this.onSpanEnd = (OnSpanEnd) callbacks[1];
    }
}
