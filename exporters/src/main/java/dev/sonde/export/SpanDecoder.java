package dev.sonde.export;

import static dev.sonde.probes.SpanRecordLayout.*;

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
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;

/**
 * A {@link dev.sonde.probes.SpanRecordLayout} record → an OTLP span. Trace and span ids are derived from
 * (salt, thread id, root call id) and (salt, thread id, call id) by a 64-bit mix, so a child decoded before its
 * parent (children exit first) already names the right parent and no state is kept between records; the salt,
 * random per exporter, keeps two runs' ids apart. Attributes: {@code code.namespace} (class), {@code code.function}
 * (method), {@code thread.id}, {@code thread.name}, {@code arg0..argN}; an exception becomes an {@code exception}
 * event ({@code exception.type}, {@code exception.message}) and status ERROR.
 */
final class SpanDecoder {
    static final AttributeKey<String> CODE_NAMESPACE = AttributeKey.stringKey("code.namespace");
    static final AttributeKey<String> CODE_FUNCTION = AttributeKey.stringKey("code.function");
    static final AttributeKey<Long> THREAD_ID = AttributeKey.longKey("thread.id");
    static final AttributeKey<String> THREAD_NAME = AttributeKey.stringKey("thread.name");
    static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
    static final AttributeKey<String> EXCEPTION_MESSAGE = AttributeKey.stringKey("exception.message");

    private final long salt;
    private final Resource resource;

    SpanDecoder(long salt, Resource resource) {
        this.salt = salt;
        this.resource = resource;
    }

    /** Decodes one record; throws {@link IllegalArgumentException} for a record that does not parse. */
    SondeSpanData decode(ByteBuffer rec) {
        ByteBuffer b = rec.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = b.position();
        int limit = b.limit();
        if (limit - base < HEADER_SIZE) {
            throw new IllegalArgumentException("span record of " + (limit - base) + " bytes, shorter than its header");
        }
        int version = b.getShort(base + VERSION_OFFSET) & 0xFFFF;
        if (version != VERSION) {
            throw new IllegalArgumentException("span record version " + version + ", expected " + VERSION);
        }
        int flags = b.getShort(base + FLAGS_OFFSET) & 0xFFFF;
        int nArgs = b.getShort(base + NARGS_OFFSET) & 0xFFFF;
        long threadId = b.getLong(base + THREAD_ID_OFFSET);
        long start = b.getLong(base + START_OFFSET);
        long duration = b.getLong(base + DURATION_OFFSET);
        long callId = b.getLong(base + CALL_ID_OFFSET);
        long parentCallId = b.getLong(base + PARENT_CALL_ID_OFFSET);
        long rootCallId = b.getLong(base + ROOT_CALL_ID_OFFSET);

        AttributesBuilder attrs = Attributes.builder();
        int p = base + HEADER_SIZE;
        if (stringsOffset(nArgs) > limit - base) {
            throw new IllegalArgumentException("span record: " + nArgs + " arguments do not fit in " + (limit - base) + " bytes");
        }
        for (int i = 0; i < nArgs; i++, p += ARG_SIZE) {
            int kind = b.getInt(p + ARG_KIND_OFFSET);
            long v = b.getLong(p + ARG_VALUE_OFFSET);
            String key = "arg" + i;
            if (kind == ARG_DOUBLE) {
                attrs.put(key, Double.longBitsToDouble(v));
            } else if (kind == ARG_BOOLEAN) {
                attrs.put(key, v != 0);
            } else {
                attrs.put(key, v);
            }
        }
        int[] pos = {p};
        String className = string(b, pos, limit);
        String methodName = string(b, pos, limit);
        String threadName = string(b, pos, limit);
        String excType = string(b, pos, limit);
        String excMessage = string(b, pos, limit);
        attrs.put(CODE_NAMESPACE, className).put(CODE_FUNCTION, methodName).put(THREAD_ID, threadId);
        if (!threadName.isEmpty()) {
            attrs.put(THREAD_NAME, threadName);
        }

        String traceId = TraceId.fromLongs(nonZero(mix(salt ^ mix(threadId))), nonZero(mix(mix(salt + threadId) + rootCallId)));
        SpanContext ctx = SpanContext.create(traceId, spanId(threadId, callId), TraceFlags.getSampled(),
                TraceState.getDefault());
        SpanContext parent = parentCallId == 0 ? SpanContext.getInvalid()
                : SpanContext.create(traceId, spanId(threadId, parentCallId), TraceFlags.getSampled(),
                        TraceState.getDefault());
        long end = start + duration;
        StatusData status = StatusData.unset();
        List<EventData> events = Collections.emptyList();
        if ((flags & FLAG_EXCEPTION) != 0 || !excType.isEmpty()) {
            status = StatusData.create(StatusCode.ERROR, excMessage.isEmpty() ? excType : excType + ": " + excMessage);
            Attributes ea = excMessage.isEmpty() ? Attributes.of(EXCEPTION_TYPE, excType)
                    : Attributes.of(EXCEPTION_TYPE, excType, EXCEPTION_MESSAGE, excMessage);
            events = List.of(EventData.create(end, "exception", ea));
        }
        int dot = className.lastIndexOf('.');
        String name = (dot < 0 ? className : className.substring(dot + 1)) + "." + methodName;
        return new SondeSpanData(name, ctx, parent, status, start, end, attrs.build(), events, resource);
    }

    private String spanId(long threadId, long callId) {
        return SpanId.fromLong(nonZero(mix(salt + threadId * 0x9E3779B97F4A7C15L + callId)));
    }

    private static String string(ByteBuffer b, int[] pos, int limit) {
        int p = pos[0];
        if (p + 2 > limit) {
            throw new IllegalArgumentException("span record truncated at byte " + p);
        }
        int len = b.getShort(p) & 0xFFFF;
        if (p + 2 + len > limit) {
            throw new IllegalArgumentException("span record: a string of " + len + " bytes runs past the record");
        }
        byte[] bytes = new byte[len];
        b.get(p + 2, bytes);
        pos[0] = p + 2 + len;
        return new String(bytes, StandardCharsets.UTF_8);
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
