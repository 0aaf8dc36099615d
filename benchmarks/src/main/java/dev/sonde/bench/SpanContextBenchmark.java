package dev.sonde.bench;

import dev.sonde.agent.AgentRuntime;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import dev.sonde.probes.AppTraceContext;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What joining the application's trace costs a {@code span} probe: the same probed method called inside an
 * application OpenTelemetry span ({@code inAppSpan}: Sonde reads the app's context through four method handles at
 * the outermost call) and with no app span current ({@code noAppSpan}: the same read, an invalid span). A drainer
 * thread empties the ring so every call writes a record. {@code api=none}: the same with
 * {@code sonde.appTraceContext=false}, the span probe as before this feature (a fork of its own). Goal: 0 B/op in
 * all (check with {@code -prof gc}).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar SpanContext -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// The export: what SondeAgent gives the maps runtime (MemoryAccess); AgentRuntime.start here skips that step.
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading",
    "-Djdk.attach.allowAttachSelf=true"})
public class SpanContextBenchmark {
    /** The probed method. */
    public static final class Target {
        private Target() {
        }

        public static long work(long x) {
            return x * 31 + 7;
        }
    }

    /** {@code app}: Sonde reads the application's context; {@code none}: turned off (Sonde looks for no API). */
    @Param({"app", "none"})
    public String api;

    private long x;
    private SdkTracerProvider provider;
    private Span appSpan;
    private io.opentelemetry.context.Scope scope;
    private Thread drainer;
    private volatile boolean stop;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = Files.createTempDirectory("sonde-bench");
        System.setProperty("sonde.dir", dir.toString());
        Path config = dir.resolve("probes.yaml");
        Files.writeString(config, String.join("\n",
                "maps:",
                "  - {name: bench_spans, type: ringbuf, maxEntries: 1048576}",
                "probes:",
                "  - {class: " + Target.class.getName() + ", method: work, program: span, maps: [bench_spans]}",
                ""));
        Target.work(0);
        startApp();
        AgentRuntime.start("config=" + config + (api.equals("app") ? "" : ",sonde.appTraceContext=false"),
                ByteBuddyAgent.install(), true);
        RingBuf ring = (RingBuf) Maps.byName("bench_spans");
        drainer = new Thread(() -> {
            try (RingBufConsumer c = RingBufConsumer.create(ring, r -> 0)) {
                while (!stop) {
                    c.poll(100);
                }
            }
        }, "bench-drainer");
        drainer.setDaemon(true);
        drainer.start();
    }

    private void startApp() {
        // The "application's" API: loaded before the agent, found by the agent's scan of loaded classes.
        provider = SdkTracerProvider.builder().addSpanProcessor(new SpanProcessor() {
            @Override
            public void onStart(io.opentelemetry.context.Context c, io.opentelemetry.sdk.trace.ReadWriteSpan s) {
            }

            @Override
            public boolean isStartRequired() {
                return false;
            }

            @Override
            public void onEnd(io.opentelemetry.sdk.trace.ReadableSpan s) {
            }

            @Override
            public boolean isEndRequired() {
                return false;
            }
        }).build();
        appSpan = provider.get("bench").spanBuilder("request").startSpan();
    }

    @Setup(Level.Iteration)
    public void enter(org.openjdk.jmh.infra.BenchmarkParams params) {
        if (params.getBenchmark().endsWith("inAppSpan")) {
            scope = appSpan.makeCurrent(); // JMH runs iterations on one thread, the one that measures
        }
    }

    @TearDown(Level.Iteration)
    public void leave() {
        if (scope != null) {
            scope.close();
            scope = null;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        String want = api.equals("app") ? "application" : "none";
        if (!AppTraceContext.source().equals(want)) {
            throw new IllegalStateException("api=" + api + " but Sonde found: " + AppTraceContext.source());
        }
        stop = true;
        drainer.join(5_000);
        appSpan.end();
        provider.shutdown();
    }

    @Benchmark
    public long inAppSpan() {
        return Target.work(x);
    }

    @Benchmark
    public long noAppSpan() {
        return Target.work(x);
    }
}
