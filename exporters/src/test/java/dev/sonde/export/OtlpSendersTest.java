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

    private static java.nio.file.Path agentJar(java.nio.file.Path dir, String premain) throws java.io.IOException {
        java.util.jar.Manifest m = new java.util.jar.Manifest();
        m.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Premain-Class", premain);
        java.nio.file.Path jar = dir.resolve(premain + ".jar");
        try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(java.nio.file.Files.newOutputStream(jar), m)) {
            out.flush();
        }
        return jar;
    }

    @Test
    void the_opentelemetry_java_agent_is_recognised_by_its_premain_class(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        // Spelt at run time, as in OtlpSenders: shading would rewrite the constant.
        String otel = "io|opentelemetry|javaagent|OpenTelemetryAgent".replace('|', '.');
        java.nio.file.Path yes = agentJar(dir, otel);
        java.nio.file.Path no = agentJar(dir, "dev.sonde.agent.SondeAgent");
        org.junit.jupiter.api.Assertions.assertTrue(OtlpSenders.premainIsOtelAgent(yes + "=opt=1"));
        assertFalse(OtlpSenders.premainIsOtelAgent(no.toString()));
        assertFalse(OtlpSenders.premainIsOtelAgent(dir.resolve("missing.jar").toString()));
        assertFalse(OtlpSenders.openTelemetryJavaagentPresent(), "this test JVM runs no Java agent");
    }
}
