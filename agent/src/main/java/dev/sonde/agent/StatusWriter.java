package dev.sonde.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sonde.bridge.Hooks;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Maps;
import dev.sonde.maps.SondeDir;
import dev.sonde.probes.ProgStats;
import dev.sonde.probes.Program;
import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.load.Binding;
import dev.sonde.probes.load.LoadedProbes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code <sonde dir>/<pid>/progs.json} (programs and their stats, attached methods, maps: bpftool's
 * {@code prog show}) and {@code agent.json}, now and every {@code sonde.statusMillis} (1000) on a daemon thread.
 */
final class StatusWriter implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final AgentRuntime rt;
    private final long periodMillis = Long.getLong("sonde.statusMillis", 1000L);
    private volatile Thread thread;

    StatusWriter(AgentRuntime rt) {
        this.rt = rt;
    }

    void start() {
        writeNow();
        Thread t = new Thread(this, "sonde-status");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    void stop() {
        Thread t = thread;
        thread = null;
        if (t != null) {
            t.interrupt();
        }
    }

    @Override
    public void run() {
        while (thread == Thread.currentThread()) {
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
            writeNow();
        }
    }

    synchronized void writeNow() {
        try {
            SondeDir.writeAtomically(SondeDir.processDir().resolve("progs.json"), JSON.writeValueAsString(progs()));
            SondeDir.writeAtomically(SondeDir.processDir().resolve("agent.json"), JSON.writeValueAsString(agent()));
        } catch (Exception e) {
            // Status files are best effort: the next period tries again.
        }
    }

    Map<String, Object> progs() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("pid", ProcessHandle.current().pid());
        root.put("updatedMillis", System.currentTimeMillis());
        LoadedProbes l = rt.loaded();
        root.put("source", l == null ? null : l.source());
        List<Object> progs = new ArrayList<>();
        if (l != null) {
            int id = 1;
            for (Binding b : l.bindings()) {
                Program p = b.program();
                ProgStats s = p.stats();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", id++);
                m.put("name", p.name());
                m.put("type", p.type());
                m.put("kind", p.kind().label());
                m.put("attach", b.toString());
                if (p instanceof dev.sonde.probes.builtin.Count) {
                    m.put("keyedBy", ((dev.sonde.probes.builtin.Count) p).keyedBy());
                }
                m.put("state", s.stateName());
                m.put("runCount", s.runCount());
                m.put("runTimeNanos", s.runTimeNanos());
                m.put("errors", s.errors());
                m.put("consecutiveErrors", s.consecutiveErrors());
                m.put("mapErrors", s.mapErrors());
                m.put("recursionMisses", s.recursionMisses());
                m.put("lastError", s.lastError());
                List<String> maps = new ArrayList<>();
                for (BpfMap bm : p.maps()) {
                    maps.add(bm.name());
                }
                m.put("maps", maps);
                m.put("methods", rt.hooks.hooksOf(p));
                progs.add(m);
            }
        }
        root.put("programs", progs);
        List<Object> methods = new ArrayList<>();
        for (TargetMethod t : rt.hooks.methods()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", t.hookId());
            m.put("class", t.className());
            m.put("method", t.methodName());
            m.put("descriptor", t.descriptor());
            methods.add(m);
        }
        root.put("methods", methods);
        List<Object> maps = new ArrayList<>();
        if (l != null) {
            for (BpfMap bm : l.maps()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", bm.id());
                m.put("name", bm.name());
                m.put("type", bm.type().bpftoolName());
                m.put("keySize", bm.keySize());
                m.put("valueSize", bm.valueSize());
                m.put("maxEntries", bm.maxEntries());
                m.put("path", bm.path().toString());
                maps.add(m);
            }
        }
        root.put("maps", maps);
        return root;
    }

    Map<String, Object> agent() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("pid", ProcessHandle.current().pid());
        root.put("version", "0.1.0");
        root.put("state", rt.detached() ? "detached" : "running");
        root.put("control", SondeDir.processDir().resolve(ControlServer.SOCKET).toString());
        root.put("attach", rt.attached ? "dynamic" : "premain");
        root.put("startedMillis", rt.startedAtMillis);
        root.put("config", rt.configPath);
        root.put("dir", SondeDir.processDir().toString());
        root.put("javaVersion", System.getProperty("java.version"));
        // The maps' fast path, or the checked one (MemoryAccess could not export jdk.internal.misc, say).
        root.put("mapMemory", Maps.memoryAccess());
        root.put("transformedTypes", rt.instrumenter.transformedTypes.get());
        root.put("transformErrors", rt.instrumenter.transformErrors.get());
        root.put("lastTransformError", rt.instrumenter.lastTransformError());
        root.put("bridgeErrors", Hooks.bridgeErrors());
        // Whose OpenTelemetry context span programs join: none, application, opentelemetry-javaagent.
        root.put("appTraceContext", dev.sonde.probes.AppTraceContext.source());
        return root;
    }
}
