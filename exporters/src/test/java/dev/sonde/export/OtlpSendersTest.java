package dev.sonde.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.opentelemetry.common.ComponentLoader;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.common.export.GrpcSenderProvider;
import io.opentelemetry.sdk.common.export.HttpSenderProvider;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OtlpSendersTest {
    private static List<String> names(Iterable<?> providers) {
        List<String> n = new ArrayList<>();
        providers.forEach(p -> n.add(p.getClass().getSimpleName()));
        return n;
    }

    @Test
    void the_loader_offers_only_the_jdk_http_sender_and_everything_else_as_usual() {
        ClassLoader cl = OtlpSenders.class.getClassLoader();
        // Both senders are on the class path, so without Sonde's loader the SDK would pick one of two.
        assertEquals(2, names(ComponentLoader.forClassLoader(cl).load(HttpSenderProvider.class)).size());

        ComponentLoader l = OtlpSenders.componentLoader(cl);
        assertEquals(List.of("JdkHttpSenderProvider"), names(l.load(HttpSenderProvider.class)));
        assertEquals(List.of("OkHttpGrpcSenderProvider"), names(l.load(GrpcSenderProvider.class)), "gRPC as before");
        assertFalse(names(l.load(ConfigurableSpanExporterProvider.class)).isEmpty(), "autoconfigure's exporters");
    }
}
