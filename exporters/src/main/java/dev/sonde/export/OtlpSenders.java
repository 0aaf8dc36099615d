package dev.sonde.export;

import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.sdk.common.export.HttpSenderProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * The component loader Sonde gives the SDK's autoconfigure so its OTLP/HTTP exporters send through the JDK's
 * {@code java.net.http} client instead of OkHttp (gRPC keeps OkHttp, the one gRPC sender there is). Why: OkHttp
 * leaves Nagle's algorithm on, so a request whose body ends in a partial TCP segment waits for the receiver's
 * delayed ACK (40 ms on Linux). On loopback, 100 KB requests (a batch of 512 spans is about that) went out at about
 * 60 per second through OkHttp and over 1,000 through the JDK client; spans at about 10 k/s instead of over 100 k/s
 * (benchmarks/README.md, "Export pipeline"). The choice goes through the loader, not the SDK's global
 * {@code HttpSenderProvider} system property, so an application's own SDK is untouched. Where the JDK sender does not
 * load (a runtime without {@code java.net.http}), the SDK's usual choice stands.
 *
 * <p>Not when the OpenTelemetry Java agent runs in the same JVM: it instruments {@code java.net.http}, so each of
 * Sonde's export requests would become a {@code POST} span in the application's own telemetry. Sonde's OkHttp is
 * relocated into its own packages, which that agent does not see, so with the agent present the SDK's usual choice
 * (OkHttp) stands and Sonde's traffic stays invisible.
 */
public final class OtlpSenders {
    /** The JDK sender's provider, known by its simple name: its package is SDK-internal (and relocated in the agent). */
    private static final String JDK_PROVIDER = "JdkHttpSenderProvider";

    /**
     * The OpenTelemetry Java agent's {@code Premain-Class}. Built at run time: the agent jar's shading rewrites every
     * string constant naming {@code io.opentelemetry} into Sonde's relocated package.
     */
    private static final String OTEL_AGENT_MAIN = "io|opentelemetry|javaagent|OpenTelemetryAgent".replace('|', '.');

    private OtlpSenders() {
    }

    /**
     * Whether the OpenTelemetry Java agent is (or will be, later on the command line) loaded into this JVM: a
     * {@code -javaagent:} jar whose manifest names its premain class, or that class already loaded.
     */
    static boolean openTelemetryJavaagentPresent() {
        try {
            for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (arg.startsWith("-javaagent:") && premainIsOtelAgent(arg.substring("-javaagent:".length()))) {
                    return true;
                }
            }
        } catch (RuntimeException | LinkageError noManagement) {
            // a runtime without java.management: fall through to the class check
        }
        try {
            Class.forName(OTEL_AGENT_MAIN, false, ClassLoader.getSystemClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError absent) {
            return false;
        }
    }

    static boolean premainIsOtelAgent(String agentArg) {
        int eq = agentArg.indexOf('=');
        String path = eq < 0 ? agentArg : agentArg.substring(0, eq);
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(path)) {
            java.util.jar.Manifest m = jar.getManifest();
            return m != null && OTEL_AGENT_MAIN.equals(m.getMainAttributes().getValue("Premain-Class"));
        } catch (java.io.IOException | SecurityException unreadable) {
            return false;
        }
    }

    /** Loads components from {@code cl}, offering the JDK sender as the only {@link HttpSenderProvider} if it loads. */
    public static ComponentLoader componentLoader(ClassLoader cl) {
        ComponentLoader all = ComponentLoader.forClassLoader(cl);
        if (openTelemetryJavaagentPresent()) {
            return all;
        }
        List<HttpSenderProvider> jdk = new ArrayList<>(1);
        try {
            for (HttpSenderProvider p : all.load(HttpSenderProvider.class)) {
                if (p.getClass().getSimpleName().equals(JDK_PROVIDER)) {
                    jdk.add(p);
                }
            }
        } catch (java.util.ServiceConfigurationError | LinkageError missing) {
            jdk.clear();
        }
        if (jdk.isEmpty()) {
            return all;
        }
        return new ComponentLoader() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> Iterable<T> load(Class<T> type) {
                return type == HttpSenderProvider.class ? (Iterable<T>) jdk : all.load(type);
            }
        };
    }
}
