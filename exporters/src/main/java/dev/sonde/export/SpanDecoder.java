package dev.sonde.export;

import static dev.sonde.probes.builtin.SpanLayout.*;

import dev.sonde.probes.TargetMethod;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.List;

/**
 * A {@link dev.sonde.probes.builtin.SpanLayout} record → an OTLP span. Trace and span ids are derived from
 * (salt, thread id, root call id) and (salt, thread id, call id) by a 64-bit mix, so a child decoded before its
 * parent (children exit first) already names the right parent and no state is kept between records; the salt,
 * random per exporter, keeps two runs' ids apart. A record that carries the application's own trace context (layout
 * version 2, the app's OpenTelemetry span current when the outermost call began) takes the app's trace id instead,
 * and its root-most call (parent call id 0) gets the app's span as parent. Names come from {@link SpanNames}. Attributes:
 * {@code code.namespace} (class), {@code code.function} (method), {@code thread.id}, {@code arg0..argN} typed by
 * the method's parameter types (primitives only); an exception becomes an {@code exception} event
 * ({@code exception.type}) and status ERROR.
 */
final class SpanDecoder {
    static final AttributeKey<String> CODE_NAMESPACE = AttributeKey.stringKey("code.namespace");
    static final AttributeKey<String> CODE_FUNCTION = AttributeKey.stringKey("code.function");
    static final AttributeKey<Long> THREAD_ID = AttributeKey.longKey("thread.id");
    static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
    private static final String[] ARG_KEYS = {"arg0", "arg1", "arg2", "arg3", "arg4", "arg5"};

    private final long salt;
    private final Resource resource;
    private final SpanNames names;

    SpanDecoder(long salt, Resource resource, SpanNames names) {
        this.salt = salt;
        this.resource = resource;
        this.names = names;
    }

    /** Decodes one record; throws {@link IllegalArgumentException} for a record that does not parse. */
    SondeSpanData decode(ByteBuffer rec) {
        ByteBuffer b = rec.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = b.position();
        int size = b.limit() - base;
        if (size != SIZE && size != SIZE_V1) {
            throw new IllegalArgumentException("span record of " + size + " bytes, expected " + SIZE + " (or "
                    + SIZE_V1 + ", version 1)");
        }
        int methodId = (int) b.getLong(base + METHOD_OFFSET);
        long threadId = b.getLong(base + THREAD_OFFSET);
        long start = b.getLong(base + START_OFFSET);
        long duration = Math.max(0, b.getLong(base + DURATION_OFFSET));
        long value = b.getLong(base + VALUE_OFFSET);
        int flags = b.getInt(base + FLAGS_OFFSET);
        int nArgs = b.getInt(base + NARGS_OFFSET);
        long callId = b.getLong(base + CALL_ID_OFFSET);
        long parentCallId = b.getLong(base + PARENT_CALL_ID_OFFSET);
        long rootCallId = b.getLong(base + ROOT_CALL_ID_OFFSET);
        long appTraceHi = size == SIZE ? b.getLong(base + APP_TRACE_HI_OFFSET) : 0;
        long appTraceLo = size == SIZE ? b.getLong(base + APP_TRACE_LO_OFFSET) : 0;
        long appParent = size == SIZE ? b.getLong(base + APP_PARENT_SPAN_OFFSET) : 0;
        boolean inAppTrace = (appTraceHi | appTraceLo) != 0 && appParent != 0;
        if (nArgs < 0 || nArgs > MAX_ARGS) {
            throw new IllegalArgumentException("span record with " + nArgs + " arguments, at most " + MAX_ARGS);
        }

        TargetMethod m = names.method(methodId);
        String className = m == null ? "method#" + methodId : m.className();
        String methodName = m == null ? "method#" + methodId : m.methodName();
        AttributesBuilder attrs = Attributes.builder();
        attrs.put(CODE_NAMESPACE, className).put(CODE_FUNCTION, methodName).put(THREAD_ID, threadId);
        for (int i = 0; m != null && i < nArgs && i < m.paramCount(); i++) {
            long v = b.getLong(base + ARGS_OFFSET + 8 * i);
            switch (m.paramType(i)) {
                case "double": attrs.put(ARG_KEYS[i], Double.longBitsToDouble(v)); break;
                case "float": attrs.put(ARG_KEYS[i], (double) Float.intBitsToFloat((int) v)); break;
                case "boolean": attrs.put(ARG_KEYS[i], v != 0); break;
                case "long": case "int": case "short": case "byte": case "char": attrs.put(ARG_KEYS[i], v); break;
                default: break; // a reference: its word is no value a reader can use
            }
        }

        // Inside the application's own span: its trace, and the root-most call hangs under that span.
        String traceId = inAppTrace ? TraceId.fromLongs(appTraceHi, appTraceLo)
                : TraceId.fromLongs(nonZero(mix(salt ^ mix(threadId))), nonZero(mix(mix(salt + threadId) + rootCallId)));
        // A call nested past the tracked depth has no id of its own: its start time stands in.
        SpanContext ctx = SpanContext.create(traceId, spanId(threadId, callId != 0 ? callId : ~start),
                TraceFlags.getSampled(), TraceState.getDefault());
        SpanContext parent = parentCallId != 0
                ? SpanContext.create(traceId, spanId(threadId, parentCallId), TraceFlags.getSampled(),
                        TraceState.getDefault())
                : inAppTrace ? SpanContext.create(traceId, SpanId.fromLong(appParent), TraceFlags.getSampled(),
                        TraceState.getDefault())
                : SpanContext.getInvalid();
        long end = start + duration;
        StatusData status = StatusData.unset();
        List<EventData> events = Collections.emptyList();
        if ((flags & THREW) != 0) {
            String excType = names.exceptionName(value);
            status = StatusData.create(StatusCode.ERROR, excType);
            events = List.of(EventData.create(end, "exception", Attributes.of(EXCEPTION_TYPE, excType)));
        }
        int dot = className.lastIndexOf('.');
        String name = (dot < 0 ? className : className.substring(dot + 1)) + "." + methodName;
        return new SondeSpanData(name, ctx, parent, status, start, end, attrs.build(), events, resource);
    }

    private String spanId(long threadId, long callId) {
        return SpanId.fromLong(nonZero(mix(salt + threadId * 0x9E3779B97F4A7C15L + callId)));
    }

    /** SplitMix64's finalizer: spreads consecutive call ids over the whole 64-bit space. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long nonZero(long v) {
        return v == 0 ? 1 : v;
    }
}
