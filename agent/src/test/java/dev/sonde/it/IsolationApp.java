package dev.sonde.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicInteger;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.ClassFileVersion;
import net.bytebuddy.dynamic.loading.ClassLoadingStrategy;
import net.bytebuddy.implementation.FixedValue;
import net.bytebuddy.matcher.ElementMatchers;

/**
 * An application that brings its own ByteBuddy, Jackson and OpenTelemetry SDK (IsolationIT runs it with older versions
 * than Sonde's on its class path) and uses all three while Sonde counts its methods. It prints the versions it sees,
 * where each class it asks for comes from ({@code CLASS name origin}), a {@code RESULT} line and {@code READY}; then,
 * as {@link TargetApp}, it runs again on each {@code run} line until stdin closes.
 *
 * <p>Compiled against the module's newer libraries: it calls only API present in both.
 */
public final class IsolationApp {
    /** Names whose origin the test asserts: the app's own libraries, Sonde's bridge, and what Sonde relocated. */
    static final String[] PROBED_NAMES = {
        "net.bytebuddy.ByteBuddy",
        "com.fasterxml.jackson.databind.ObjectMapper",
        "io.opentelemetry.sdk.trace.SdkTracerProvider",
        "net.bytebuddy.agent.ByteBuddyAgent",
        "com.fasterxml.jackson.dataformat.yaml.YAMLFactory",
        "org.yaml.snakeyaml.Yaml",
        "picocli.CommandLine",
        "dev.sonde.bridge.Hooks",
        "dev.sonde.maps.BpfMap",
        "dev.sonde.probes.ProbeContext",
        "dev.sonde.probes.config.ProbeFile",
        "dev.sonde.agent.AgentRuntime",
        "dev.sonde.shaded.bytebuddy.ByteBuddy",
        "dev.sonde.shaded.jackson.databind.ObjectMapper",
    };

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger EXPORTED = new AtomicInteger();
    private static Tracer tracer;

    private IsolationApp() {
    }

    /** Parses with the app's Jackson; probed. */
    public static int parse(String json) throws Exception {
        JsonNode n = JSON.readTree(json);
        return n.get("v").asInt();
    }

    /** A span from the app's own SDK; probed. */
    public static void traced(int i) {
        Span s = tracer.spanBuilder("work").setAttribute("i", (long) i).startSpan();
        s.end();
    }

    /** A new ByteBuddy subclass, loaded and called; probed. */
    public static String generate(int i) throws Exception {
        // A fixed class-file version: the app's ByteBuddy 1.14 does not know JDK 25, and needs not to for this.
        Class<?> c = new ByteBuddy(ClassFileVersion.JAVA_V11)
                .subclass(Object.class)
                .name("dev.sonde.it.Generated" + i)
                .method(ElementMatchers.named("toString"))
                .intercept(FixedValue.value("generated-" + i))
                .make()
                .load(IsolationApp.class.getClassLoader(), ClassLoadingStrategy.Default.WRAPPER)
                .getLoaded();
        return c.getDeclaredConstructor().newInstance().toString();
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        int generated = Integer.parseInt(args[1]);
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(new CountingExporter()))
                .build();
        tracer = provider.get("isolation-app");
        System.out.println("VERSION bytebuddy " + mavenVersion(ByteBuddy.class, "net.bytebuddy/byte-buddy"));
        System.out.println("VERSION jackson " + com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION);
        System.out.println("VERSION otel " + Resource.getDefault().getAttribute(AttributeKey.stringKey("telemetry.sdk.version")));
        for (String name : PROBED_NAMES) {
            System.out.println("CLASS " + name + " " + origin(name));
        }
        runOnce(n, generated);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("run")) {
                runOnce(n, generated);
            }
        }
        provider.shutdown();
    }

    private static void runOnce(int n, int generated) throws Exception {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += parse("{\"v\":" + i + ",\"s\":\"x\"}");
            traced(i);
        }
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < generated; i++) {
            String g = generate(i);
            if (i == generated - 1) {
                names.append(g);
            }
        }
        System.out.println("RESULT parsed=" + sum + " spans=" + EXPORTED.get() + " last=" + names);
        System.out.println("READY");
        System.out.flush();
    }

    /** The version in the pom.properties of the jar {@code c} came from (ByteBuddy's manifest has none). */
    private static String mavenVersion(Class<?> c, String artifact) throws Exception {
        java.net.URL jar = c.getProtectionDomain().getCodeSource().getLocation();
        java.util.Properties p = new java.util.Properties();
        try (java.io.InputStream in = new java.net.URL("jar:" + jar + "!/META-INF/maven/" + artifact + "/pom.properties")
                .openStream()) {
            p.load(in);
        }
        return p.getProperty("version");
    }

    /** {@code bootstrap}, {@code app:<jar or dir name>}, {@code other:<loader>} or {@code missing}. */
    private static String origin(String name) {
        try {
            Class<?> c = Class.forName(name, false, IsolationApp.class.getClassLoader());
            if (c.getClassLoader() == null) {
                return "bootstrap";
            }
            String from = c.getProtectionDomain().getCodeSource() == null ? "?"
                    : Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI()).getFileName().toString();
            return (c.getClassLoader() == ClassLoader.getSystemClassLoader() ? "app:" : "other:") + from;
        } catch (ClassNotFoundException e) {
            return "missing";
        } catch (Exception e) {
            return "error:" + e;
        }
    }

    /** Counts what the app's SDK exports: the app's tracing works with Sonde's probes on its SDK. */
    private static final class CountingExporter implements SpanExporter {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            EXPORTED.addAndGet(spans.size());
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
