package dev.sonde.probes.builtin;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapType;
import dev.sonde.maps.RingBuf;
import dev.sonde.probes.MapCheck;
import dev.sonde.probes.ProbeContext;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.structops.SamplingPolicy;
import dev.sonde.probes.Program;
import java.util.EnumSet;

/**
 * {@code span}: one {@link SpanLayout} record per finished call (normal or exceptional) into a ringbuf, with the
 * call ids that nest it under its caller, the raw argument words and the application's own trace context (the
 * OpenTelemetry span current when the outermost call began, {@link dev.sonde.probes.AppTraceContext}), reserved
 * and committed in place: nothing is copied or allocated. A full ring drops the record (a map error in the stats,
 * and the ring's own drop count).
 */
public final class Span extends Program {
    /** Wall clock = monotonic clock + this, read once: epoch nanoseconds without a per-call allocation. */
    private static final long EPOCH_OFFSET = System.currentTimeMillis() * 1_000_000L - System.nanoTime();

    private final RingBuf ring;

    public Span(String name, BpfMap ring) {
        super(name, "span", ProbeKind.EXIT, new BpfMap[] {ring});
        try {
            MapCheck.require(name, "ring", ring, EnumSet.of(MapType.RINGBUF), 0, 0);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.ring = (RingBuf) ring;
    }

    @Override
    public boolean alsoOnException() {
        return true;
    }

    @Override
    public boolean needsCallIds() {
        return true;
    }

    @Override
    public void run(ProbeContext ctx) {
        long end = ctx.exitNanos() != 0 ? ctx.exitNanos() : System.nanoTime();
        // The sampling_ops struct_ops subsystem decides (default: every call); one volatile read when none is set.
        if (!SamplingPolicy.shouldSample(ctx.methodId(), ctx.threadId(), end)) {
            return;
        }
        long h = ring.reserve(SpanLayout.SIZE);
        if (h < 0) {
            stats().mapError();
            return;
        }
        long d = ctx.durationNanos();
        Throwable t = ctx.thrown();
        ring.putLong(h, SpanLayout.METHOD_OFFSET, ctx.methodId());
        ring.putLong(h, SpanLayout.THREAD_OFFSET, ctx.threadId());
        ring.putLong(h, SpanLayout.START_OFFSET, end - Math.max(d, 0) + EPOCH_OFFSET);
        ring.putLong(h, SpanLayout.DURATION_OFFSET, d);
        ring.putLong(h, SpanLayout.VALUE_OFFSET, t == null ? ctx.retLong() : Exceptions.key(t.getClass()));
        ring.putInt(h, SpanLayout.FLAGS_OFFSET, t == null ? 0 : SpanLayout.THREW);
        int n = Math.min(ctx.argCount(), SpanLayout.MAX_ARGS);
        ring.putInt(h, SpanLayout.NARGS_OFFSET, n);
        ring.putLong(h, SpanLayout.CALL_ID_OFFSET, ctx.callId());
        ring.putLong(h, SpanLayout.PARENT_CALL_ID_OFFSET, ctx.parentCallId());
        ring.putLong(h, SpanLayout.ROOT_CALL_ID_OFFSET, ctx.rootCallId());
        for (int i = 0; i < SpanLayout.MAX_ARGS; i++) {
            // Every word written: a reserved record holds whatever an earlier lap of the ring left there.
            ring.putLong(h, SpanLayout.ARGS_OFFSET + 8 * i, i < n ? ctx.argLong(i) : 0);
        }
        ring.putLong(h, SpanLayout.APP_TRACE_HI_OFFSET, ctx.appTraceIdHigh());
        ring.putLong(h, SpanLayout.APP_TRACE_LO_OFFSET, ctx.appTraceIdLow());
        ring.putLong(h, SpanLayout.APP_PARENT_SPAN_OFFSET, ctx.appParentSpanId());
        // Wake-ups batched by ring position: the exporter's poll times out every second for a trickle, and an
        // application thread no longer pays an unpark per span whenever the exporter has caught up.
        ring.commit(h, ring.batchedWakeup(h, SpanLayout.SIZE));
        SamplingPolicy.onSpanEnd(ctx.methodId(), d);
    }
}
