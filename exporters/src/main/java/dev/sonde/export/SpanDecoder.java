package dev.sonde.export;

import static dev.sonde.probes.builtin.SpanLayout.*;

import dev.sonde.probes.TargetMethod;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A {@link dev.sonde.probes.builtin.SpanLayout} record → an OTLP span, decoded into a reused {@link SondeSpanData}.
 * Trace and span ids are derived from (salt, thread id, root call id) and (salt, thread id, call id) by a 64-bit mix,
 * so a child decoded before its parent (children exit first) already names the right parent and no state is kept
 * between records; the salt, random per exporter, keeps two runs' ids apart. A record that carries the application's
 * own trace context (layout version 2, the app's OpenTelemetry span current when the outermost call began) takes the
 * app's trace id instead, and its root-most call (parent call id 0) gets the app's span as parent. Names come from
 * {@link SpanNames}. Attributes: {@code code.namespace} (class), {@code code.function} (method), {@code thread.id},
 * {@code arg0..argN} typed by the method's parameter types (primitives only); an exception becomes an
 * {@code exception} event
 * ({@code exception.type}) and status ERROR.
 *
 * <p>What a record costs on this (export) thread: the hex id strings the SDK's {@code SpanContext} requires and the
 * boxes of argument values; the span name and the argument kinds are worked out once per method, the trace id
 * string is reused while records of the same call tree follow each other, and a parent's span id string made for
 * its children is reused for its own record. One decoder per thread.
 */
final class SpanDecoder {
    static final AttributeKey<String> CODE_NAMESPACE = AttributeKey.stringKey("code.namespace");
    static final AttributeKey<String> CODE_FUNCTION = AttributeKey.stringKey("code.function");
    static final AttributeKey<Long> THREAD_ID = AttributeKey.longKey("thread.id");
    static final AttributeKey<String> EXCEPTION_TYPE = AttributeKey.stringKey("exception.type");
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);
    /** Method ids up to this index the per-method cache by array; larger ones are looked up each time. */
    private static final int MAX_CACHED_ID = 1 << 16;
    private static final int PARENT_IDS = 256;

    private final long salt;
    private final SpanNames names;
    private final byte[] hex = new byte[32];
    private Method[] methods = new Method[64];
    private long lastThread;
    private Long lastThreadBox;
    /**
     * Span id strings of parents, keyed by (thread id, call id), computed when their first child was decoded
     * (children exit first): the parent's own record then takes the same string. Direct-mapped; an id string is a
     * pure function of its key, so an evicted or colliding entry only costs a new string.
     */
    private final long[] parentThread = new long[PARENT_IDS];
    private final long[] parentCall = new long[PARENT_IDS];
    private final String[] parentId = new String[PARENT_IDS];
    private long lastTraceThread;
    private long lastTraceRoot;
    private String lastTraceId;
    private long lastAppTraceHi;
    private long lastAppTraceLo;
    private String lastAppTraceId;

    SpanDecoder(long salt, SpanNames names) {
        this.salt = salt;
        this.names = names;
    }

    /**
     * Decodes the record in {@code rec[0..length)} into {@code into}; throws {@link IllegalArgumentException} for a
     * record that does not parse (then {@code into} holds no span).
     */
    void decode(byte[] rec, int length, SondeSpanData into) {
        if (length != SIZE && length != SIZE_V1) {
            throw new IllegalArgumentException("span record of " + length + " bytes, expected " + SIZE + " (or "
                    + SIZE_V1 + ", version 1)");
        }
        int methodId = (int) (long) LONG.get(rec, METHOD_OFFSET);
        long threadId = (long) LONG.get(rec, THREAD_OFFSET);
        long start = (long) LONG.get(rec, START_OFFSET);
        long duration = Math.max(0, (long) LONG.get(rec, DURATION_OFFSET));
        long value = (long) LONG.get(rec, VALUE_OFFSET);
        int flags = (int) INT.get(rec, FLAGS_OFFSET);
        int nArgs = (int) INT.get(rec, NARGS_OFFSET);
        long callId = (long) LONG.get(rec, CALL_ID_OFFSET);
        long parentCallId = (long) LONG.get(rec, PARENT_CALL_ID_OFFSET);
        long rootCallId = (long) LONG.get(rec, ROOT_CALL_ID_OFFSET);
        long appTraceHi = length == SIZE ? (long) LONG.get(rec, APP_TRACE_HI_OFFSET) : 0;
        long appTraceLo = length == SIZE ? (long) LONG.get(rec, APP_TRACE_LO_OFFSET) : 0;
        long appParent = length == SIZE ? (long) LONG.get(rec, APP_PARENT_SPAN_OFFSET) : 0;
        boolean inAppTrace = (appTraceHi | appTraceLo) != 0 && appParent != 0;
        if (nArgs < 0 || nArgs > MAX_ARGS) {
            throw new IllegalArgumentException("span record with " + nArgs + " arguments, at most " + MAX_ARGS);
        }

        Method m = method(methodId);
        SpanAttributes attrs = into.clearAttributes();
        attrs.put(CODE_NAMESPACE, m.className);
        attrs.put(CODE_FUNCTION, m.methodName);
        if (threadId != lastThread || lastThreadBox == null) {
            lastThread = threadId;
            lastThreadBox = threadId;
        }
        attrs.put(THREAD_ID, lastThreadBox);
        for (int i = 0, n = Math.min(nArgs, m.argKinds.length); i < n; i++) {
            long v = (long) LONG.get(rec, ARGS_OFFSET + 8 * i);
            switch (m.argKinds[i]) {
                case Method.DOUBLE: attrs.put(m.doubleKeys[i], Double.longBitsToDouble(v)); break;
                case Method.FLOAT: attrs.put(m.doubleKeys[i], (double) Float.intBitsToFloat((int) v)); break;
                case Method.BOOLEAN: attrs.put(m.booleanKeys[i], v != 0); break;
                case Method.LONG: attrs.put(m.longKeys[i], v); break;
                default: break; // a reference: its word is no value a reader can use
            }
        }

        // Inside the application's own span: its trace, and the root-most call hangs under that span.
        String traceId;
        if (inAppTrace) {
            if (appTraceHi != lastAppTraceHi || appTraceLo != lastAppTraceLo || lastAppTraceId == null) {
                lastAppTraceHi = appTraceHi;
                lastAppTraceLo = appTraceLo;
                lastAppTraceId = hex(appTraceHi, appTraceLo);
            }
            traceId = lastAppTraceId;
        } else {
            if (threadId != lastTraceThread || rootCallId != lastTraceRoot || lastTraceId == null) {
                lastTraceThread = threadId;
                lastTraceRoot = rootCallId;
                lastTraceId = hex(nonZero(mix(salt ^ mix(threadId))), nonZero(mix(mix(salt + threadId) + rootCallId)));
            }
            traceId = lastTraceId;
        }
        // A call nested past the tracked depth has no id of its own: its start time stands in.
        String spanId = callId != 0 ? ownSpanId(threadId, callId) : spanId(threadId, ~start);
        String parentSpanId = parentCallId != 0 ? parentSpanId(threadId, parentCallId)
                : inAppTrace ? hex16(appParent) : null;
        long end = start + duration;
        StatusData status = StatusData.unset();
        List<EventData> events = Collections.emptyList();
        if ((flags & THREW) != 0) {
            String excType = names.exceptionName(value);
            status = StatusData.create(StatusCode.ERROR, excType);
            events = List.of(EventData.create(end, "exception", Attributes.of(EXCEPTION_TYPE, excType)));
        }
        into.set(m.spanName, traceId, spanId, parentSpanId, status, start, end, events);
    }

    private Method method(int id) {
        TargetMethod t = names.method(id);
        if (id < 0 || id >= MAX_CACHED_ID) {
            return new Method(id, t);
        }
        if (id >= methods.length) {
            methods = Arrays.copyOf(methods, Math.max(id + 1, methods.length * 2));
        }
        Method m = methods[id];
        if (m == null || m.target != t) {
            m = methods[id] = new Method(id, t);
        }
        return m;
    }

    /** A call's span id: the string its children already made, if one of them came first. */
    private String ownSpanId(long threadId, long callId) {
        int slot = parentSlot(threadId, callId);
        String s = parentId[slot];
        if (s != null && parentThread[slot] == threadId && parentCall[slot] == callId) {
            parentId[slot] = null; // the parent's record comes once; leave the slot to the next parent
            return s;
        }
        return spanId(threadId, callId);
    }

    /** A parent's span id, kept for its siblings and its own record, which follow. */
    private String parentSpanId(long threadId, long callId) {
        int slot = parentSlot(threadId, callId);
        String s = parentId[slot];
        if (s == null || parentThread[slot] != threadId || parentCall[slot] != callId) {
            s = spanId(threadId, callId);
            parentThread[slot] = threadId;
            parentCall[slot] = callId;
            parentId[slot] = s;
        }
        return s;
    }

    private static int parentSlot(long threadId, long callId) {
        return (int) mix(threadId * 0x9E3779B97F4A7C15L + callId) & (PARENT_IDS - 1);
    }

    private String spanId(long threadId, long callId) {
        return hex16(nonZero(mix(salt + threadId * 0x9E3779B97F4A7C15L + callId)));
    }

    private String hex16(long v) {
        putHex(v, 0);
        return new String(hex, 0, 16, StandardCharsets.ISO_8859_1);
    }

    private String hex(long high, long low) {
        putHex(high, 0);
        putHex(low, 16);
        return new String(hex, 0, 32, StandardCharsets.ISO_8859_1);
    }

    private void putHex(long v, int at) {
        for (int i = 15; i >= 0; i--) {
            hex[at + i] = HEX[(int) v & 0xf];
            v >>>= 4;
        }
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

    /** What a method id stands for, worked out once: span name, namespace, function, how to read each argument. */
    private static final class Method {
        static final byte SKIP = 0;
        static final byte LONG = 1;
        static final byte DOUBLE = 2;
        static final byte FLOAT = 3;
        static final byte BOOLEAN = 4;
        private static final String[] ARG_NAMES = {"arg0", "arg1", "arg2", "arg3", "arg4", "arg5"};

        final TargetMethod target;
        final String className;
        final String methodName;
        final String spanName;
        final byte[] argKinds;
        final AttributeKey<Long>[] longKeys;
        final AttributeKey<Double>[] doubleKeys;
        final AttributeKey<Boolean>[] booleanKeys;

        @SuppressWarnings("unchecked")
        Method(int id, TargetMethod t) {
            target = t;
            className = t == null ? "method#" + id : t.className();
            methodName = t == null ? "method#" + id : t.methodName();
            int dot = className.lastIndexOf('.');
            spanName = (dot < 0 ? className : className.substring(dot + 1)) + "." + methodName;
            int n = t == null ? 0 : Math.min(t.paramCount(), MAX_ARGS);
            argKinds = new byte[n];
            longKeys = new AttributeKey[n];
            doubleKeys = new AttributeKey[n];
            booleanKeys = new AttributeKey[n];
            for (int i = 0; i < n; i++) {
                switch (t.paramType(i)) {
                    case "double": argKinds[i] = DOUBLE; doubleKeys[i] = AttributeKey.doubleKey(ARG_NAMES[i]); break;
                    case "float": argKinds[i] = FLOAT; doubleKeys[i] = AttributeKey.doubleKey(ARG_NAMES[i]); break;
                    case "boolean": argKinds[i] = BOOLEAN; booleanKeys[i] = AttributeKey.booleanKey(ARG_NAMES[i]); break;
                    case "long": case "int": case "short": case "byte": case "char":
                        argKinds[i] = LONG;
                        longKeys[i] = AttributeKey.longKey(ARG_NAMES[i]);
                        break;
                    default: argKinds[i] = SKIP; break;
                }
            }
        }
    }
}
