package dev.sonde.probes.structops;

import dev.sonde.maps.MapSpec;
import dev.sonde.maps.StructOpsType;

/**
 * The {@code sampling_ops} subsystem: which spans the {@code span} program records. With nothing registered it
 * samples everything; a {@code STRUCT_OPS} map registers another policy, and deleting the map restores the default.
 * <pre>
 *   StructOpsMap m = (StructOpsMap) Maps.create(SamplingPolicy.mapSpec("one_in_8").build());
 *   m.setCallback(SamplingOps.SHOULD_SAMPLE, new RatioSampler(0.125), progId);
 *   m.attach();                      // update(0, value): INIT -&gt; INUSE, the span program now samples 1 in 8
 *   m.detach();                      // delete(0): INUSE -&gt; TOBEFREE, back to sampling everything
 * </pre>
 * The {@code span} program asks {@link #shouldSample} once per entry and calls {@link #onSpanEnd} once per sampled
 * exit: each is one read of the registered struct inside a grace-period section, no lock, no allocation.
 */
public final class SamplingPolicy {
    public static final String NAME = "sampling_ops";
    /** The default {@code should_sample}: record every span. */
    public static final SamplingOps.ShouldSample SAMPLE_ALL = (methodId, threadId, nowNanos) -> true;
    /** The default {@code on_span_end}: nothing to learn. */
    public static final SamplingOps.OnSpanEnd IGNORE_END = (methodId, durationNanos) -> { };

    public static final StructOpsType<SamplingOps> TYPE = StructOpsType.builder(NAME, SamplingOps::new)
            .mandatory(SamplingOps.SHOULD_SAMPLE, SamplingOps.ShouldSample.class, SAMPLE_ALL)
            .optional(SamplingOps.ON_SPAN_END, SamplingOps.OnSpanEnd.class, IGNORE_END)
            .register();

    private SamplingPolicy() {
    }

    /** Whether to record the span that starts now, by the registered policy. */
    public static boolean shouldSample(long methodId, long threadId, long nowNanos) {
        int t = TYPE.enter();
        try {
            return TYPE.current().shouldSample.shouldSample(methodId, threadId, nowNanos);
        } finally {
            TYPE.exit(t);
        }
    }

    /** Tells the registered policy that a sampled span ended. */
    public static void onSpanEnd(long methodId, long durationNanos) {
        int t = TYPE.enter();
        try {
            TYPE.current().onSpanEnd.onSpanEnd(methodId, durationNanos);
        } finally {
            TYPE.exit(t);
        }
    }

    /** A spec for a sampling-policy map called {@code name}. */
    public static MapSpec.Builder mapSpec(String name) {
        return TYPE.mapSpec(name);
    }
}
