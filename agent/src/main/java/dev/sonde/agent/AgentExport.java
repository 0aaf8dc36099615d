package dev.sonde.agent;

import dev.sonde.export.SondeExporters;
import dev.sonde.export.SpanNames;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapType;
import dev.sonde.maps.RelayMap;
import dev.sonde.maps.RingBuf;
import dev.sonde.probes.Program;
import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.load.Binding;
import dev.sonde.probes.load.LoadedProbes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The agent's side of the exporters: started only when something asks for export ({@code sonde.export.file}, or an
 * OTLP endpoint), it hands them the loaded programs' stats, the rings of {@code span} programs and the relays, and
 * names span records through the hook table. Each ring and relay handed over is retained, so a probe file
 * replaced later cannot unmap memory the drainer or the relay exporter still reads; they are released on close.
 */
final class AgentExport implements AutoCloseable {
    /** Settings any of which turns export on (each also as its {@code OTEL_...} / {@code SONDE_...} variable). */
    private static final String[] SWITCHES = {"sonde.export.file", "otel.exporter.otlp.endpoint",
        "otel.exporter.otlp.traces.endpoint", "otel.exporter.otlp.metrics.endpoint", "otel.exporter.otlp.logs.endpoint"};

    private final SondeExporters exporters;
    private final Set<BpfMap> handedOver = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<AutoCloseable> registrations = new ArrayList<>();

    private AgentExport(SondeExporters exporters) {
        this.exporters = exporters;
    }

    /** Whether {@code settings} (agent arguments), system properties or the environment ask for export. */
    static boolean wanted(Map<String, String> settings) {
        for (String k : SWITCHES) {
            if (nonBlank(settings.get(k)) || nonBlank(System.getProperty(k))
                    || nonBlank(System.getenv(k.toUpperCase(Locale.ROOT).replace('.', '_')))) {
                return true;
            }
        }
        return false;
    }

    private static boolean nonBlank(String s) {
        return s != null && !s.isBlank();
    }

    /** Starts the exporters on the first probe file (null: none yet); {@code current} reads the loaded probes later. */
    static AgentExport start(Map<String, String> args, HookTable hooks, LoadedProbes first,
            Supplier<LoadedProbes> current) {
        Map<String, String> settings = new LinkedHashMap<>(args);
        Set<String> log2 = latencyMaps(first);
        if (!log2.isEmpty()) {
            // The latency program's arrays are log2 histograms; the user's own list is kept.
            String own = settings.getOrDefault("sonde.metrics.log2Maps", System.getProperty("sonde.metrics.log2Maps",
                    System.getenv().getOrDefault("SONDE_METRICS_LOG2MAPS", "")));
            settings.put("sonde.metrics.log2Maps", (own.isBlank() ? "" : own + ",") + String.join(",", log2));
        }
        SondeExporters ex = SondeExporters.start(settings);
        AgentExport e = new AgentExport(ex);
        ex.spanNames(new SpanNames() {
            @Override
            public TargetMethod method(int methodId) {
                return hooks.byId(methodId);
            }
        });
        e.registrations.add(ex.telemetry().registerPrograms(() -> programs(current.get())));
        e.attach(first);
        return e;
    }

    private static Set<String> latencyMaps(LoadedProbes l) {
        Set<String> names = new LinkedHashSet<>();
        if (l != null) {
            for (Binding b : l.bindings()) {
                if (b.program().type().equals("latency")) {
                    b.program().maps().forEach(m -> names.add(m.name()));
                }
            }
        }
        return names;
    }

    private static Collection<Program> programs(LoadedProbes l) {
        if (l == null) {
            return List.of();
        }
        Set<Program> ps = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Binding b : l.bindings()) {
            ps.add(b.program());
        }
        return ps;
    }

    /** Hands over the span rings and relays of {@code l} not handed over yet. */
    synchronized void attach(LoadedProbes l) {
        if (l == null) {
            return;
        }
        // A probe file loaded after start-up brings its latency arrays: histograms, not per-bucket sums.
        if (exporters.mapMetrics() != null) {
            latencyMaps(l).forEach(exporters.mapMetrics()::addLog2Map);
        }
        for (Binding b : l.bindings()) {
            Program p = b.program();
            if (p.type().equals("span")) {
                for (BpfMap m : p.maps()) {
                    if (m.type() == MapType.RINGBUF && retain(m)) {
                        exporters.addSpanRing((RingBuf) m);
                    }
                }
            }
        }
        for (BpfMap m : l.maps()) {
            if (m.type() == MapType.RELAY && retain(m)) {
                exporters.relays().add((RelayMap) m);
            }
        }
    }

    private boolean retain(BpfMap m) {
        if (handedOver.contains(m)) {
            return false;
        }
        try {
            m.retain();
        } catch (RuntimeException closed) {
            return false; // closed by a reload racing this one
        }
        handedOver.add(m);
        return true;
    }

    /** Drains and flushes within {@code sonde.shutdownTimeout}, then lets go of the rings and relays. */
    @Override
    public synchronized void close() {
        exporters.close(); // first: its last collection still reads the programs' stats
        for (AutoCloseable r : registrations) {
            try {
                r.close();
            } catch (Exception ignored) {
                // a registration's close removes it from a list
            }
        }
        for (BpfMap m : handedOver) {
            m.release();
        }
        handedOver.clear();
    }
}
