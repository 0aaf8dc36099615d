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

    final long startedAtMillis = System.currentTimeMillis();
    final boolean attached;
    final HookTable hooks = new HookTable();
    final Instrumenter instrumenter;
    private final StatusWriter status;
    private volatile LoadedProbes loaded;
    volatile String configPath;

    private AgentRuntime(Instrumentation inst, boolean attached) {
        this.attached = attached;
        this.instrumenter = new Instrumenter(inst, hooks);
        this.status = new StatusWriter(this);
    }

    /** Called by {@link SondeAgent} once the bootstrap classes are in place. */
    public static synchronized void start(String args, Instrumentation inst, boolean attached) {
        if (instance != null) {
            throw new IllegalStateException("a Sonde agent already runs in this JVM; load probes through it with "
                    + "`sonde load <pid> probes.yaml`");
        }
        AgentArgs a = AgentArgs.parse(args);
        SondeDir.ensureDir(SondeDir.processDir());
        AgentRuntime rt = new AgentRuntime(inst, attached);
        LoadedProbes first = null;
        if (a.config() != null && !a.config().isEmpty()) {
            Path config = Paths.get(a.config()).toAbsolutePath();
            first = rt.loadFile(config);
            rt.configPath = config.toString();
        }
        rt.loaded = first;
        rt.instrumenter.install(first == null ? List.of() : first.bindings());
        instance = rt;
        rt.status.start();
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

    LoadedProbes loaded() {
        return loaded;
    }

    private void shutdown() {
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
