package dev.sonde.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Maps;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 5, "living inside someone else's JVM", with real JVMs on this JDK and JDK 25 when installed: an application
 * with its own, older ByteBuddy, Jackson and OpenTelemetry SDK, and an application that also runs the OpenTelemetry
 * Java agent (both orders, plus a live {@code sonde load}), work unchanged while Sonde counts them exactly.
 */
class IsolationIT {
    private static final int N = 200;
    private static final int GENERATED = 5;
    private static final int HTTP_CALLS = 5;
    /** Copied by the pom (maven-dependency-plugin, pre-integration-test). */
    private static final Path LIBS = Paths.get(System.getProperty("sonde.itLibs", "target/it-libs")).toAbsolutePath();
    private static final Path OTEL_AGENT = Paths.get(System.getProperty("sonde.itOtelAgent",
            "target/it-otel/opentelemetry-javaagent.jar")).toAbsolutePath();
    /** C1 only: these JVMs run for seconds; C2 compiling the OpenTelemetry agent's start-up doubles it on 2 loaded cores. */
    private static final String QUICK_JIT = "-XX:TieredStopAtLevel=1";

    private static final String ISO = "dev.sonde.it.IsolationApp";
    private static final String ISO_PROBES = String.join("\n",
            "maps:",
            "  - {name: parse, type: hash, keySize: 8, valueSize: 8, maxEntries: 8}",
            "  - {name: generate, type: hash, keySize: 8, valueSize: 8, maxEntries: 8}",
            "  - {name: readtree, type: hash, keySize: 8, valueSize: 8, maxEntries: 8}",
            "  - {name: spanend, type: hash, keySize: 8, valueSize: 8, maxEntries: 8}",
            "probes:",
            "  - {class: " + ISO + ", method: parse, program: count, maps: [parse]}",
            "  - {class: " + ISO + ", method: generate, program: count, maps: [generate]}",
            // The app's own Jackson and OTel SDK, under the very names Sonde's relocated copies once had.
            "  - {class: com.fasterxml.jackson.databind.ObjectMapper, method: readTree,"
                    + " descriptor: '(Ljava/lang/String;)Lcom/fasterxml/jackson/databind/JsonNode;',"
                    + " program: count, maps: [readtree]}",
            "  - {class: io.opentelemetry.sdk.trace.SdkSpan, method: end, descriptor: '()V', program: count,"
                    + " maps: [spanend]}",
            "");

    private static final String OTEL_APP = "dev.sonde.it.OtelApp";
    private static final String OTEL_A = String.join("\n",
            "maps:",
            "  - {name: score, type: hash, keySize: 8, valueSize: 8, maxEntries: 8}",
            "  - {name: calls, type: hash, keySize: 8, valueSize: 8, maxEntries: 8}",
            "probes:",
            "  - {class: " + OTEL_APP + ", method: score, program: count, maps: [score]}",
            "  - {class: " + OTEL_APP + ", method: call, program: count, maps: [calls]}",
            "");
    /** Keeps OtelApp's probe on {@code score}, drops {@code call}, adds the already loaded handler class. */
    private static final String OTEL_B = String.join("\n",
            "maps:",
            "  - {name: score2, type: hash, keySize: 8, valueSize: 8, maxEntries: 8}",
            "  - {name: handled, type: hash, keySize: 8, valueSize: 8, maxEntries: 8}",
            "probes:",
            "  - {class: " + OTEL_APP + ", method: score, program: count, maps: [score2]}",
            "  - {class: " + OTEL_APP + "$Hello, method: handle, program: count, maps: [handled]}",
            "");

    /** What Sonde appends to the bootstrap class path (BootstrapJar): the bridge, the maps and the program API. */
    private static final Pattern BOOTSTRAP_ENTRY = Pattern.compile(
            "dev/sonde/(bridge|maps|probes)/.*");
    private static final Pattern NOT_BOOTSTRAP = Pattern.compile("dev/sonde/probes/(config|load)/.*");

    static List<String> javaHomes() {
        return TargetJvm.javaHomes();
    }

    static Stream<Arguments> javaHomesAndOrders() {
        return javaHomes().stream().flatMap(h -> Stream.of(Arguments.of(h, true), Arguments.of(h, false)));
    }

    private static Path dir(String javaHome, String test) throws Exception {
        // Short: the control socket's path must stay under 108 bytes.
        Path base = Paths.get(System.getProperty("sonde.dir", "target/sonde-it")).toAbsolutePath();
        Path d = base.resolve(test + (javaHome.equals(System.getProperty("java.home")) ? "0" : "1"));
        Files.createDirectories(d);
        return d;
    }

    // ---- 1. the application's own ByteBuddy, Jackson and OpenTelemetry -------------------------------------

    @ParameterizedTest
    @MethodSource("javaHomes")
    void anAppWithItsOwnLibraryVersionsWorksUnchangedWhileSondeCountsIt(String javaHome) throws Exception {
        Path d = dir(javaHome, "iso");
        Path config = d.resolve("iso.yaml");
        Files.writeString(config, ISO_PROBES);
        List<Path> libs = InteropJvm.jarsIn(LIBS);
        try (InteropJvm jvm = InteropJvm.start(javaHome, d, List.of(QUICK_JIT, "-javaagent:" + TargetJvm.agentJar()
                + "=config=" + config), libs, IsolationApp.class, Integer.toString(N), Integer.toString(GENERATED))) {
            jvm.awaitReady(90);
            assertTrue(jvm.out.containsAll(List.of("VERSION bytebuddy 1.14.18", "VERSION jackson 2.17.2",
                    "VERSION otel 1.44.1")), "the app sees its own versions, not Sonde's: " + jvm.out);
            assertEquals(expectedOrigins(), origins(jvm.out));
            String ok = "RESULT parsed=" + (long) N * (N - 1) / 2 + " spans=" + N + " last=generated-" + (GENERATED - 1);
            assertEquals(ok, jvm.result(), "stderr " + jvm.err);

            Path maps = jvm.processDir().resolve("maps");
            assertEquals(List.of((long) N), values(maps.resolve("parse")));
            assertEquals(List.of((long) GENERATED), values(maps.resolve("generate")));
            assertEquals(List.of((long) N), values(maps.resolve("readtree")), "the app's Jackson, probed");
            assertEquals(List.of((long) N), values(maps.resolve("spanend")), "the app's OpenTelemetry SDK, probed");
            assertBootstrapJar(jvm.processDir().resolve("sonde-bootstrap.jar"));

            jvm.runAgain();
            assertEquals("RESULT parsed=" + (long) N * (N - 1) / 2 + " spans=" + 2 * N + " last=generated-"
                    + (GENERATED - 1), jvm.result());
            assertEquals(List.of(2L * N), values(maps.resolve("readtree")));
            assertEquals(List.of(2L * N), values(maps.resolve("spanend")));
            assertEquals(List.of(2L * GENERATED), values(maps.resolve("generate")));
            assertAgentHealthy(jvm.processDir());

            assertEquals(0, jvm.stop());
            assertEquals(List.of(), unexpected(jvm.err));
        }
    }

    /**
     * Where each name resolves from the app's class loader. Sonde's libraries never appear under their own names
     * (the app gets its own, or nothing); the bridge, maps and program API come from the bootstrap loader. The rest of
     * Sonde (its agent classes, the probe-file loader and the relocated libraries) lives under {@code inst/} in the
     * agent jar, read only by Sonde's own class loader, so the application cannot load it at all.
     */
    private static Map<String, String> expectedOrigins() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("net.bytebuddy.ByteBuddy", "app:byte-buddy-1.14.18.jar");
        m.put("com.fasterxml.jackson.databind.ObjectMapper", "app:jackson-databind-2.17.2.jar");
        m.put("io.opentelemetry.sdk.trace.SdkTracerProvider", "app:opentelemetry-sdk-trace-1.44.1.jar");
        m.put("net.bytebuddy.agent.ByteBuddyAgent", "missing");
        m.put("com.fasterxml.jackson.dataformat.yaml.YAMLFactory", "missing");
        m.put("org.yaml.snakeyaml.Yaml", "missing");
        m.put("picocli.CommandLine", "missing");
        m.put("dev.sonde.bridge.Hooks", "bootstrap");
        m.put("dev.sonde.maps.BpfMap", "bootstrap");
        m.put("dev.sonde.probes.ProbeContext", "bootstrap");
        m.put("dev.sonde.probes.config.ProbeFile", "missing");
        m.put("dev.sonde.agent.AgentRuntime", "missing");
        m.put("dev.sonde.shaded.bytebuddy.ByteBuddy", "missing");
        m.put("dev.sonde.shaded.jackson.databind.ObjectMapper", "missing");
        return m;
    }

    private static Map<String, String> origins(List<String> out) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String l : out) {
            if (l.startsWith("CLASS ")) {
                String[] p = l.split(" ");
                m.put(p[1], p[2]);
            }
        }
        return m;
    }

    /**
     * Exactly the agent jar's bridge, maps and program API classes on the bootstrap path: no library, no agent class,
     * no probe-file loader (it needs Jackson).
     */
    private static void assertBootstrapJar(Path jar) throws Exception {
        Set<String> expected = classes(TargetJvm.agentJar(), true);
        assertTrue(expected.stream().anyMatch(n -> n.startsWith("dev/sonde/bridge/")), expected.toString());
        assertEquals(expected, classes(jar, false));
    }

    /** The file entries of a jar; only those BootstrapJar's rule selects when {@code bootstrapOnly}. */
    private static Set<String> classes(Path jar, boolean bootstrapOnly) throws Exception {
        Set<String> names = new TreeSet<>();
        try (JarFile f = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = f.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                String name = entry.getName();
                if (!entry.isDirectory() && (!bootstrapOnly
                        || BOOTSTRAP_ENTRY.matcher(name).matches() && !NOT_BOOTSTRAP.matcher(name).matches())) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    @Test
    void theShadedJarCarriesNoLibraryUnderItsOwnName() throws Exception {
        List<String> wrong = new ArrayList<>();
        try (JarFile f = new JarFile(TargetJvm.agentJar().toFile())) {
            for (Enumeration<JarEntry> e = f.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                String name = entry.getName();
                // inst/ is read only by Sonde's own class loader; what it holds is relocated all the same.
                String path = name.startsWith("inst/") ? name.substring(5) : name;
                if (path.endsWith(".class") && !path.startsWith("dev/sonde/")) {
                    wrong.add(name);
                } else if (name.startsWith("META-INF/services/") && !entry.isDirectory()) {
                    // A service file under a library's name would be found by the app's ServiceLoader.
                    String content = new String(f.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8);
                    boolean ours = name.startsWith("META-INF/services/dev.sonde.") && content.lines()
                            .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                            .allMatch(l -> l.startsWith("dev.sonde."));
                    if (!ours) {
                        wrong.add(name);
                    }
                }
            }
        }
        assertEquals(List.of(), wrong, "every class and service file of sonde-agent.jar is under dev.sonde");
    }

    // ---- 2. the OpenTelemetry Java agent and Sonde in one JVM ----------------------------------------------

    @ParameterizedTest(name = "{0} otelFirst={1}")
    @MethodSource("javaHomesAndOrders")
    void theOpenTelemetryAgentAndSondeBothWorkAndALiveLoadRetransformsOnlyNewTargets(String javaHome, boolean otelFirst)
            throws Exception {
        Path d = dir(javaHome, otelFirst ? "oa" : "so");
        Files.writeString(d.resolve("a.yaml"), OTEL_A);
        Files.writeString(d.resolve("b.yaml"), OTEL_B);
        String otel = "-javaagent:" + OTEL_AGENT;
        String sonde = "-javaagent:" + TargetJvm.agentJar() + "=config=" + d.resolve("a.yaml");
        List<String> args = new ArrayList<>(List.of(QUICK_JIT,
                // The agent as users run it (every default instrumentation, executors included); spans to stderr only.
                "-Dotel.traces.exporter=logging", "-Dotel.metrics.exporter=none", "-Dotel.logs.exporter=none"));
        args.addAll(otelFirst ? List.of(otel, sonde) : List.of(sonde, otel));
        assertTrue(Files.isRegularFile(OTEL_AGENT), OTEL_AGENT + " is missing; run mvn -pl agent -am verify");
        try (InteropJvm jvm = InteropJvm.start(javaHome, d, args, List.of(), OtelApp.class, Integer.toString(HTTP_CALLS))) {
            jvm.awaitReady(120);
            String ok = "RESULT ok=" + HTTP_CALLS + " score=" + scoreSum(HTTP_CALLS);
            assertEquals(ok, jvm.result(), "stderr " + jvm.err);
            Path maps = jvm.processDir().resolve("maps");
            assertEquals(List.of((long) HTTP_CALLS), values(maps.resolve("score")));
            assertEquals(List.of((long) HTTP_CALLS), values(maps.resolve("calls")));
            assertSpans(jvm, HTTP_CALLS);

            String pid = Long.toString(jvm.process.pid());
            String[] load = TargetJvm.cli(javaHome, d, "load", pid, d.resolve("b.yaml").toString());
            assertEquals("0", load[0], load[1]);
            assertTrue(load[1].endsWith(": 2 programs, 2 maps, 1 classes retransformed"),
                    "only OtelApp$Hello is newly targeted: " + load[1]);
            assertFalse(Files.exists(maps.resolve("calls")), "the replaced file's map is freed");
            jvm.runAgain();
            assertEquals(ok, jvm.result());
            assertEquals(List.of((long) HTTP_CALLS), values(maps.resolve("score2")), "counted from the load on");
            assertEquals(List.of((long) HTTP_CALLS), values(maps.resolve("handled")), "the retransformed handler");
            assertSpans(jvm, 2 * HTTP_CALLS);
            assertAgentHealthy(jvm.processDir());

            assertEquals(0, jvm.stop());
            assertEquals(List.of(), unexpected(jvm.err));
        }
    }

    private static long scoreSum(int n) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            s += OtelApp.score(i);
        }
        return s;
    }

    private static final Pattern SPAN = Pattern.compile("\\[otel\\.javaagent [^\\]]+\\] \\[[^\\]]+\\] INFO "
            + "io\\.opentelemetry\\.exporter\\.logging\\.LoggingSpanExporter - '([^']+)' : (\\w+) \\w+ (CLIENT|SERVER) "
            + "\\[tracer: io\\.opentelemetry\\.java-http-(client|server):.*");

    /**
     * The OpenTelemetry agent still traces every call with Sonde's advice in the same JVM (and, after the live load,
     * in the same handler class): {@code n} client and {@code n} server spans, each pair in one trace.
     */
    private static void assertSpans(InteropJvm jvm, int n) throws InterruptedException {
        Set<String> client = new TreeSet<>();
        Set<String> server = new TreeSet<>();
        long end = System.nanoTime() + 20_000_000_000L; // the exporter logs a span when it ends, on its own thread
        do {
            client.clear();
            server.clear();
            for (String l : jvm.err) {
                Matcher m = SPAN.matcher(l);
                if (m.matches()) {
                    (m.group(3).equals("CLIENT") ? client : server).add(m.group(2));
                }
            }
            if (client.size() >= n && server.size() >= n) {
                break;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < end);
        assertEquals(n, client.size(), "client spans (by trace id); stderr " + jvm.err);
        assertEquals(client, server, "each server span is in its client's trace: context propagated");
    }

    // ---- shared checks ------------------------------------------------------------------------------------

    /** Sonde's own view: running, no class it failed to transform, no error in the bridge. */
    private static void assertAgentHealthy(Path processDir) throws Exception {
        Path f = processDir.resolve("agent.json");
        JsonNode a = null;
        for (int i = 0; i < 100 && a == null; i++) {
            try {
                a = new ObjectMapper().readTree(f.toFile());
            } catch (java.io.IOException notYetOrRacedWithRename) {
                Thread.sleep(100);
            }
        }
        assertTrue(a != null, f + " never appeared");
        assertEquals("running", a.get("state").asText(), a.toString());
        assertEquals(0, a.get("transformErrors").asLong(), a.toString());
        assertEquals(0, a.get("bridgeErrors").asLong(), a.toString());
    }

    /** Known harmless stderr lines, each named: anything else from either agent or the JVM fails the test. */
    private static final List<Pattern> HARMLESS = List.of(
            // HotSpot, once per appendToBootstrapClassLoaderSearch (Sonde's bridge, the OTel agent's bootstrap jar).
            Pattern.compile(Pattern.quote("OpenJDK 64-Bit Server VM warning: Sharing is only supported for boot loader"
                    + " classes because bootstrap classpath has been appended")),
            // The OTel agent's banner and the logging exporter's spans, which assertSpans reads.
            Pattern.compile("\\[otel\\.javaagent [^\\]]+\\] \\[[^\\]]+\\] INFO io\\.opentelemetry\\.javaagent\\.tooling"
                    + "\\.VersionLogger - opentelemetry-javaagent - version: .*"),
            SPAN,
            // JDK 24+ (JEP 498), once per JVM: ByteBuddy's class injector, Sonde's relocated copy or the OTel agent's.
            Pattern.compile(Pattern.quote("WARNING: A terminally deprecated method in sun.misc.Unsafe has been called")),
            Pattern.compile("WARNING: sun\\.misc\\.Unsafe::objectFieldOffset has been called by (dev\\.sonde\\.shaded\\."
                    + "|net\\.)bytebuddy\\.dynamic\\.loading\\.ClassInjector\\$UsingUnsafe\\$Dispatcher\\$CreationAction"
                    + " \\(file:\\S+/(sonde-agent|opentelemetry-javaagent)\\.jar\\)"),
            Pattern.compile("WARNING: Please consider reporting this to the maintainers of class (dev\\.sonde\\.shaded\\."
                    + "|net\\.)bytebuddy\\.dynamic\\.loading\\.ClassInjector\\$UsingUnsafe\\$Dispatcher\\$CreationAction"),
            Pattern.compile(Pattern.quote("WARNING: sun.misc.Unsafe::objectFieldOffset will be removed in a future release")));

    private static List<String> unexpected(List<String> err) {
        List<String> bad = new ArrayList<>();
        for (String l : err) {
            if (HARMLESS.stream().noneMatch(p -> p.matcher(l).matches())) {
                bad.add(l);
            }
        }
        return bad;
    }

    /** Every value's first long, in key order: Sonde's counts read from the map file, from outside the JVM. */
    private static List<Long> values(Path map) {
        try (BpfMap m = Maps.open(map)) {
            byte[] k = new byte[m.keySize()];
            byte[] v = new byte[m.valueBufferSize()];
            byte[] prev = null;
            List<Long> out = new ArrayList<>();
            while (m.getNextKey(prev, k) == 0) {
                assertEquals(0, m.lookup(k, v));
                out.add(ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
                prev = k.clone();
            }
            return out;
        }
    }
}
