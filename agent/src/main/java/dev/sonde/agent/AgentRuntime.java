package dev.sonde.agent;

import dev.sonde.maps.SondeDir;
import dev.sonde.probes.config.ProbeFile;
import dev.sonde.probes.config.ProbeFileParser;
import dev.sonde.probes.load.LoadedProbes;
import dev.sonde.probes.load.MapSource;
import dev.sonde.probes.load.ProbeLoader;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/**
 * The running agent: the loaded probe file, the transformer, the hook table and the status files. One per JVM.
 * Loading a new probe file builds and verifies it completely before the old one is detached.
 */
public final class AgentRuntime {
    private static AgentRuntime instance;
    private static final String DEFAULT_POLICY = "; the probes run with the default policy";

    final long startedAtMillis = System.currentTimeMillis();
    final boolean attached;
    final HookTable hooks = new HookTable();
    final Instrumenter instrumenter;
    private final StatusWriter status;
    private final ControlServer control;
    private volatile LoadedProbes loaded;
    /** Null unless export was asked for. */
    private volatile AgentExport export;
    private volatile boolean detached;
    volatile String configPath;

    private AgentRuntime(Instrumentation inst, boolean attached) {
        this.attached = attached;
        this.instrumenter = new Instrumenter(inst, hooks);
        this.status = new StatusWriter(this);
        this.control = new ControlServer(this);
    }

    /** Called by {@link SondeAgent} once the bootstrap classes are in place. */
    public static synchronized void start(String args, Instrumentation inst, boolean attached) {
        AgentArgs a = AgentArgs.parse(args);
        if (instance != null) {
            // Attached again after a detach, or twice: the running agent takes the new probe file.
            if (a.config() != null && !a.config().isEmpty()) {
                instance.load(Paths.get(a.config()).toAbsolutePath());
            }
            return;
        }
        SondeDir.ensureDir(SondeDir.processDir());
        if (a.appTraceContext()) {
            AppApiWatch.install(inst);
        }
        AgentRuntime rt = new AgentRuntime(inst, attached);
        LoadedProbes first = null;
        if (a.config() != null && !a.config().isEmpty()) {
            Path config = Paths.get(a.config()).toAbsolutePath();
            first = rt.loadFile(config);
            rt.configPath = config.toString();
        }
        rt.loaded = first;
        rt.instrumenter.install(first == null ? List.of() : first.bindings());
        if (first != null) {
            String p = registerPolicies(first);
            if (p.endsWith(DEFAULT_POLICY)) { // a refusal; success needs no line
                System.err.println("sonde: " + p);
            }
        }
        instance = rt;
        try {
            rt.control.start();
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println("sonde: control channel " + rt.control.path() + " unavailable (" + e + "); probes run, "
                    + "but `sonde load/unload` cannot reach this JVM (use a shorter -Dsonde.dir path)");
        }
        rt.status.start();
        if (AgentExport.wanted(a.settings())) {
            try {
                rt.export = AgentExport.start(a.settings(), rt.hooks, first, rt::loaded);
            } catch (RuntimeException | LinkageError e) {
                if (a.failFast()) {
                    throw e;
                }
                System.err.println("sonde: exporters did not start (" + e + "); probes run and maps stay readable "
                        + "with `sonde map`; check the sonde.export.* / OTEL_* settings");
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(rt::shutdown, "sonde-shutdown"));
    }

    static synchronized AgentRuntime instance() {
        return instance;
    }

    private LoadedProbes loadFile(Path config) {
        if (!Files.isReadable(config)) {
            throw new IllegalArgumentException("probe file " + config + " is not readable; check config=");
        }
        ProbeFile file = ProbeFileParser.parse(config);
        return new ProbeLoader(MapSource.MAPS, ClassLoader.getSystemClassLoader()).load(file);
    }

    /** The hook id of an instrumented method, 0 if none: for tools and benchmarks that address one hook. */
    public static int hookId(String className, String method, String descriptor) {
        AgentRuntime rt = instance();
        return rt == null ? 0 : rt.hooks.idOf(className, method, descriptor);
    }

    LoadedProbes loaded() {
        return loaded;
    }

    /**
     * Replaces the programs with those of {@code config}: the new file is loaded and verified in full first (a
     * refusal leaves the old programs running), then each hook's slot is swapped and only classes with a newly
     * targeted method are retransformed; the old programs are detached last.
     */
    synchronized String load(Path config) {
        LoadedProbes next = loadFile(config);
        LoadedProbes prev = loaded;
        if (detached) {
            instrumenter.install(next.bindings());
            detached = false;
        }
        int retransformed = instrumenter.replace(next.bindings());
        loaded = next;
        AgentExport ex = export;
        if (ex != null) {
            ex.attach(next);
        }
        configPath = config.toString();
        if (prev != null) {
            prev.close();
        }
        String policies = registerPolicies(next); // after prev.close(): its policy held the subsystem
        status.writeNow();
        return "loaded " + config + ": " + next.bindings().size() + " programs, " + next.maps().size() + " maps, "
                + retransformed + " classes retransformed" + (policies.isEmpty() ? "" : "; " + policies);
    }

    /**
     * Registers a loaded file's struct_ops policies; "" when there are none, else what happened, for the reply
     * and the log. A refusal leaves the programs running on the subsystem's default.
     */
    private static String registerPolicies(LoadedProbes l) {
        try {
            int n = l.registerPolicies(MapSource.MAPS);
            return n == 0 ? "" : n + " struct_ops registered";
        } catch (RuntimeException e) {
            return e.getMessage() + DEFAULT_POLICY;
        }
    }

    /** Detaches every program; the methods stay instrumented and run the empty fast path. */
    synchronized String unload() {
        instrumenter.replace(List.of());
        LoadedProbes prev = loaded;
        loaded = null;
        configPath = null;
        if (prev != null) {
            prev.close();
        }
        status.writeNow();
        return "unloaded " + (prev == null ? 0 : prev.bindings().size()) + " programs";
    }

    /** Unloads, then restores every class's original bytecode. */
    synchronized String detach() {
        String u = unload();
        instrumenter.reset();
        detached = true;
        status.writeNow();
        return u + ", original bytecode restored";
    }

    boolean detached() {
        return detached;
    }

    String summary() {
        LoadedProbes l = loaded;
        return (detached ? "detached" : "attached") + ", " + (l == null ? 0 : l.bindings().size()) + " programs, "
                + hooks.methods().size() + " hooked methods";
    }

    private void shutdown() {
        AgentExport ex = export;
        if (ex != null) {
            // Before the maps are freed: spans committed so far drain, metrics are read once more.
            try {
                ex.close();
            } catch (RuntimeException e) {
                System.err.println("sonde: exporters did not close cleanly (" + e + ")");
            }
        }
        control.stop();
        status.stop();
        status.writeNow();
        LoadedProbes l = loaded;
        if (l != null) {
            // As the kernel frees a dead process's maps: unpinned map files go, pinned ones stay for `sonde map`.
            l.close();
        }
        try {
            Files.deleteIfExists(SondeDir.processDir().resolve("sonde-bootstrap.jar"));
        } catch (java.io.IOException ignored) {
            // the JVM is exiting; a leftover jar is harmless and overwritten by the next agent of this pid
        }
    }
}
