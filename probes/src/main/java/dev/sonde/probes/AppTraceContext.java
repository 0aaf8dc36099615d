package dev.sonde.probes;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The application's own OpenTelemetry span, read when an outermost instrumented call begins on a thread, so that
 * Sonde's spans join the application's trace. Sonde cannot link to the application's OpenTelemetry API (its own copy
 * is relocated, and the application's lives in another class loader, or, under the OpenTelemetry Java agent, as the
 * agent's relocated copy on the bootstrap path), so the agent reports where the API appears ({@link #offer}, from a
 * class-load watch) and the first capture after that resolves four method handles in it:
 * {@code Span.current()}, {@code Span.getSpanContext()}, {@code SpanContext.getTraceId()} and {@code getSpanId()},
 * bound into {@link MutableCallSite}s whose invokers are constants, so the JIT inlines the application's methods
 * into the probe as if they had been linked.
 *
 * <p>Why {@code Span.current()} and not the storage's {@code ThreadLocal}: it goes through whatever
 * {@code ContextStorage} the application configured (the Java agent's, a wrapper), and in the API it does not
 * allocate: a thread-local read, an array scan for the span key, and two fields holding the ids as strings, parsed
 * here digit by digit, and only when the span context differs from the one this thread read last (the thread's
 * {@link ProbeContext} keeps that reference, a small immutable object). The handles are typed {@code Object} and
 * called with {@code invokeExact}: no boxing, no varargs array. The Java agent's copy wins over the application's:
 * with that agent the application's API is only a bridge onto it, and reading through the bridge would wrap a span
 * per call.
 */
public final class AppTraceContext {
    /**
     * Internal names the agent's class-load watch reports. Spelt with '|' and computed: the agent jar's shading
     * rewrites every string constant that names {@code io.opentelemetry} into Sonde's relocated package.
     */
    public static final String API_SPAN = name("io|opentelemetry|api|trace|Span", '/');
    public static final String JAVAAGENT_SPAN = name("io|opentelemetry|javaagent|shaded|io|opentelemetry|api|trace|Span",
            '/');
    private static final String API_PKG = name("io|opentelemetry|api|trace|", '.');
    private static final String JAVAAGENT_PKG = name("io|opentelemetry|javaagent|shaded|io|opentelemetry|api|trace|",
            '.');

    private static final MethodType NONE_TO_OBJ = MethodType.methodType(Object.class);
    private static final MethodType OBJ_TO_OBJ = MethodType.methodType(Object.class, Object.class);
    private static final MethodType OBJ_TO_STR = MethodType.methodType(String.class, Object.class);
    /** Span.current(), Span.getSpanContext(), SpanContext.getTraceId(), getSpanId(); bound by {@link #bind}. */
    private static final MutableCallSite[] SITES = {new MutableCallSite(NONE_TO_OBJ), new MutableCallSite(OBJ_TO_OBJ),
        new MutableCallSite(OBJ_TO_STR), new MutableCallSite(OBJ_TO_STR)};
    private static final MethodHandle CURRENT = SITES[0].dynamicInvoker();
    private static final MethodHandle SPAN_CONTEXT = SITES[1].dynamicInvoker();
    private static final MethodHandle TRACE_ID = SITES[2].dynamicInvoker();
    private static final MethodHandle SPAN_ID = SITES[3].dynamicInvoker();

    /** True once the call sites are bound; until then a capture is one volatile read. */
    private static volatile boolean found;
    private static volatile String source = "none";
    /** Set by {@link #offer}; the next capture resolves it. One volatile read per capture otherwise. */
    private static volatile boolean pending;
    private static volatile WeakReference<ClassLoader> pendingApp;
    private static volatile boolean pendingJavaagent;
    private static final AtomicBoolean RESOLVING = new AtomicBoolean();

    private AppTraceContext() {
    }

    private static String name(String bars, char sep) {
        return bars.replace('|', sep);
    }

    /**
     * The class {@code internalName} is being defined by {@code loader} (null: the bootstrap loader). Cheap and
     * safe inside a class-file transformer: it stores a reference, it loads nothing.
     */
    public static void offer(String internalName, ClassLoader loader) {
        if (JAVAAGENT_SPAN.equals(internalName)) {
            pendingJavaagent = true;
            pending = true;
        } else if (API_SPAN.equals(internalName) && !found && pendingApp == null) {
            // The first application loader seen: an application server with several copies gets the first one's.
            pendingApp = new WeakReference<>(loader);
            pending = true;
        }
    }

    /** Which API the captures read: {@code none}, {@code application} or {@code opentelemetry-javaagent} (agent.json). */
    public static String source() {
        return source;
    }

    /** Fills {@code ctx}'s application trace words from the calling thread's current span, or zeroes them. */
    static void capture(ProbeContext ctx) {
        if (pending) {
            resolvePending();
        }
        if (!found) {
            ctx.appContext(0, 0, 0, null);
            return;
        }
        try {
            read(ctx);
        } catch (Throwable t) {
            // The application's API misbehaved: this call simply has no parent; nothing reaches the application.
            ctx.appContext(0, 0, 0, null);
        }
    }

    /**
     * Four calls the JIT inlines (the invokers are constants, the call sites' targets are bound once), and the
     * parsing only when the span context is not the one this thread saw last: an application span usually
     * encloses many probed calls.
     */
    private static void read(ProbeContext ctx) throws Throwable {
        Object span = (Object) CURRENT.invokeExact();
        Object sc = (Object) SPAN_CONTEXT.invokeExact(span);
        if (sc == ctx.appSpanContext()) {
            return; // its words are in ctx already
        }
        String t = (String) TRACE_ID.invokeExact(sc);
        String s = (String) SPAN_ID.invokeExact(sc);
        if (t == null || s == null || t.length() != 32 || s.length() != 16) {
            ctx.appContext(0, 0, 0, sc);
            return;
        }
        long hi = hex(t, 0);
        long lo = hex(t, 16);
        long sp = hex(s, 0);
        // An invalid context has all-zero ids; a malformed one parses as -1 somewhere: both mean "none".
        if (hi == -1 && lo == -1 || sp == -1 || (hi | lo) == 0 || sp == 0) {
            ctx.appContext(0, 0, 0, sc);
        } else {
            ctx.appContext(hi, lo, sp, sc);
        }
    }

    /**
     * Resolves what {@link #offer} reported, once, on the first thread to get here (the others go on without a
     * context rather than wait). Allocates, once per API found.
     */
    private static void resolvePending() {
        if (!RESOLVING.compareAndSet(false, true)) {
            return;
        }
        try {
            pending = false;
            if (pendingJavaagent) {
                pendingJavaagent = false;
                if (bind(JAVAAGENT_PKG, null)) {
                    source = "opentelemetry-javaagent";
                }
            }
            WeakReference<ClassLoader> app = pendingApp;
            if (app != null && !found) {
                ClassLoader l = app.get();
                if (l != null && bind(API_PKG, l)) {
                    source = "application";
                } else {
                    pendingApp = null; // another loader may offer itself
                }
            }
        } finally {
            RESOLVING.set(false);
        }
    }

    /** Points the four call sites at one copy of the API; false when it is not there or not the API. */
    private static boolean bind(String pkg, ClassLoader loader) {
        MethodHandle current;
        MethodHandle spanContext;
        MethodHandle traceId;
        MethodHandle spanId;
        try {
            Class<?> span = Class.forName(pkg + "Span", false, loader);
            Class<?> sc = Class.forName(pkg + "SpanContext", false, loader);
            MethodHandles.Lookup l = MethodHandles.publicLookup();
            current = l.findStatic(span, "current", MethodType.methodType(span)).asType(NONE_TO_OBJ);
            spanContext = l.findVirtual(span, "getSpanContext", MethodType.methodType(sc)).asType(OBJ_TO_OBJ);
            traceId = l.findVirtual(sc, "getTraceId", MethodType.methodType(String.class)).asType(OBJ_TO_STR);
            spanId = l.findVirtual(sc, "getSpanId", MethodType.methodType(String.class)).asType(OBJ_TO_STR);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return false;
        }
        // A capture racing a switch (the Java agent found after the application's API) may mix two copies for a
        // moment: the casts fail, it is caught, that one call has no parent.
        SITES[0].setTarget(current);
        SITES[1].setTarget(spanContext);
        SITES[2].setTarget(traceId);
        SITES[3].setTarget(spanId);
        MutableCallSite.syncAll(SITES);
        found = true;
        return true;
    }

    /** 16 lowercase hex digits from {@code at} as an unsigned long; -1 (all ones) for any other character. */
    private static long hex(String s, int at) {
        long v = 0;
        for (int i = at; i < at + 16; i++) {
            char c = s.charAt(i);
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
    }
}
