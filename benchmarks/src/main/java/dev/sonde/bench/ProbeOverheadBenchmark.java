package dev.sonde.bench;

import dev.sonde.agent.AgentRuntime;
import dev.sonde.bridge.Hooks;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Maps;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * What a probe costs the application, side by side in one JVM: the same small method bare, instrumented with a
 * {@code count} program adding 1 to an array element, and instrumented with its hook empty (a disabled probe: the
 * advice runs, the bridge finds no program). Goals: probed ≤ bare + 10 ns, disabled ≤ bare + 1 ns, 0 B/op
 * (check with {@code -prof gc}).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar ProbeOverhead -prof gc</pre>
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
public class ProbeOverheadBenchmark {
    /** The methods measured; identical bodies, different probes. */
    public static final class Target {
        private Target() {
        }

        public static long bare(long x) {
            return x * 31 + 7;
        }

        public static long probed(long x) {
            return x * 31 + 7;
        }

        public static long disabled(long x) {
            return x * 31 + 7;
        }
    }

    /** The argument, and so the array element counted; a field so the JIT cannot fold it. */
    private long x;
    private BpfMap counts;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path dir = Files.createTempDirectory("sonde-bench");
        System.setProperty("sonde.dir", dir.toString());
        String target = Target.class.getName();
        Path config = dir.resolve("probes.yaml");
        Files.writeString(config, String.join("\n",
                "maps:",
                "  - {name: bench_counts, type: array, keySize: 4, valueSize: 8, maxEntries: 4}",
                "probes:",
                "  - {class: " + target + ", method: probed, program: count, maps: [bench_counts], options: {arg: 0}}",
                "  - {class: " + target + ", method: disabled, program: count, maps: [bench_counts], options: {arg: 0}}",
                ""));
        Target.probed(0); // load the class first: the agent must retransform it, as in a running application
        AgentRuntime.start("config=" + config, ByteBuddyAgent.install(), true);
        int disabledHook = AgentRuntime.hookId(target, "disabled", "(J)J");
        if (disabledHook == 0 || AgentRuntime.hookId(target, "probed", "(J)J") == 0) {
            throw new IllegalStateException("the benchmark's methods were not instrumented");
        }
        Hooks.set(disabledHook, null);
        counts = Maps.byName("bench_counts");
    }

    @TearDown(Level.Trial)
    public void check(BenchmarkParams params) {
        long h = counts.lookupElem(0);
        if (params.getBenchmark().endsWith("probed") && counts.getLong(h, 0) == 0) {
            throw new IllegalStateException("the probed method counted nothing");
        }
    }

    @Benchmark
    public long bare() {
        return Target.bare(x);
    }

    @Benchmark
    public long probed() {
        return Target.probed(x);
    }

    @Benchmark
    public long disabled() {
        return Target.disabled(x);
    }
}
