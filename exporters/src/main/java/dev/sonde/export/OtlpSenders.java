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
 */
public final class OtlpSenders {
    /** The JDK sender's provider, known by its simple name: its package is SDK-internal (and relocated in the agent). */
    private static final String JDK_PROVIDER = "JdkHttpSenderProvider";

    private OtlpSenders() {
    }

    /** Loads components from {@code cl}, offering the JDK sender as the only {@link HttpSenderProvider} if it loads. */
    public static ComponentLoader componentLoader(ClassLoader cl) {
        ComponentLoader all = ComponentLoader.forClassLoader(cl);
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
