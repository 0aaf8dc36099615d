package dev.sonde.it;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Collection;

/**
 * An application that traces itself with its own OpenTelemetry API while Sonde probes two of its methods:
 * {@code handle(i)} opens a {@code request} span and, inside it, calls {@code work(i)}, which calls {@code step(i)};
 * {@code idle(i)} runs outside any span. Argument {@code sdk}: its own SDK (IsolationIT's older version), each
 * finished span printed as {@code APPSPAN <name> <trace id> <span id> <parent span id or ->}; {@code global}: the
 * tracer of {@link GlobalOpenTelemetry}, which the OpenTelemetry Java agent provides and exports itself. Prints
 * {@code RESULT} and {@code READY}; runs again on each {@code run} line; stops when stdin closes.
 */
public final class TraceContextApp {
    private static Tracer tracer;

    private TraceContextApp() {
    }

    /** Probed by Sonde's span program; runs inside the app's {@code request} span. */
    public static int work(int i) {
        return step(i) + 1;
    }

    /** Probed; nested in {@link #work}. */
    public static int step(int i) {
        return i * 3;
    }

    /** Probed; no app span is current here. */
    public static int idle(int i) {
        return i - 1;
    }

    static int handle(int i) {
        Span request = tracer.spanBuilder("request").setAttribute("i", (long) i).startSpan();
        try (Scope s = request.makeCurrent()) {
            return work(i);
        } finally {
            request.end();
        }
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        boolean sdk = args[1].equals("sdk");
        // The SDK only through OwnSdk: under the Java agent the class path holds the API alone.
        tracer = sdk ? OwnSdk.start() : GlobalOpenTelemetry.getTracer("trace-context-app");
        runOnce(n);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("run")) {
                runOnce(n);
            }
        }
        if (sdk) {
            OwnSdk.stop();
        }
    }

    private static void runOnce(int n) {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += handle(i) + idle(i);
        }
        System.out.println("RESULT sum=" + sum);
        System.out.println("READY");
        System.out.flush();
    }

    private static final class OwnSdk {
        private static SdkTracerProvider provider;

        static Tracer start() {
            provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(new PrintingExporter()))
                    .build();
            return provider.get("trace-context-app");
        }

        static void stop() {
            provider.shutdown();
        }
    }

    /** The app's own export: one line per span, which the test joins with what Sonde sent over OTLP. */
    private static final class PrintingExporter implements SpanExporter {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            for (SpanData s : spans) {
                String parent = s.getParentSpanContext().isValid() ? s.getParentSpanId() : "-";
                System.out.println("APPSPAN " + s.getName() + " " + s.getTraceId() + " " + s.getSpanId() + " " + parent);
            }
            System.out.flush();
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
