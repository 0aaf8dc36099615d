package dev.sonde.probes.load;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Errno;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.SondeException;
import dev.sonde.probes.Program;
import dev.sonde.probes.builtin.Count;
import dev.sonde.probes.builtin.Exceptions;
import dev.sonde.probes.builtin.Latency;
import dev.sonde.probes.builtin.Record;
import dev.sonde.probes.builtin.Span;
import dev.sonde.probes.config.Located;
import dev.sonde.probes.config.MapDecl;
import dev.sonde.probes.config.ProbeDecl;
import dev.sonde.probes.config.ProbeFile;
import dev.sonde.probes.config.ProbeFileException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads a probe file all or nothing, as {@code bpf_object__load}: creates (or reuses) its maps, builds and verifies
 * every program against them, and on the first refusal frees what it made and throws one
 * {@link ProbeFileException} placed at the declaration at fault. Checks against the target methods' parameters run
 * later, when the agent matches a method ({@link Program#checkTarget}).
 */
public final class ProbeLoader {
    /** The built-in programs and the options each accepts. */
    public static final Map<String, Set<String>> BUILTINS = Map.of(
            "count", Set.of("arg"),
            "latency", Set.of(),
            "exceptions", Set.of("dump"),
            "span", Set.of(),
            "record", Set.of());

    private final MapSource mapSource;
    private final ClassLoader programLoader;

    public ProbeLoader(MapSource mapSource, ClassLoader programLoader) {
        this.mapSource = mapSource;
        this.programLoader = programLoader;
    }

    public LoadedProbes load(ProbeFile file) {
        LoadedProbes out = new LoadedProbes(file.source);
        Map<String, BpfMap> byName = new HashMap<>();
        try {
            for (MapDecl d : file.maps) {
                if (d.type != null && d.type.type == MapType.STRUCT_OPS) {
                    declarePolicy(file.source, d, byName, out);
                    continue;
                }
                BpfMap m = createMap(file.source, d, byName, out);
                byName.put(m.name(), m);
            }
            for (int i = 0; i < file.probes.size(); i++) {
                ProbeDecl d = file.probes.get(i);
                try {
                    addProbe(d, i, byName, out);
                } catch (SondeException e) {
                    throw ProbeFileException.at(file.source, d, e);
                } catch (IllegalArgumentException e) {
                    throw ProbeFileException.at(file.source, d, new SondeException(Errno.EINVAL, e.getMessage()));
                }
            }
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** A STRUCT_OPS map: checked now, registered by {@link LoadedProbes#registerPolicies} (see {@link PolicyDecl}). */
    private static void declarePolicy(String source, MapDecl d, Map<String, BpfMap> declared, LoadedProbes out) {
        try {
            if (d.name == null) {
                throw new SondeException(Errno.EINVAL, "a map needs name: and type:; add the missing field");
            }
            if (declared.containsKey(d.name) || out.declaresPolicy(d.name)) {
                throw new SondeException(Errno.EEXIST, "map '" + d.name + "' is declared twice; rename one");
            }
            if (out.policyCount() > 0) {
                throw new SondeException(Errno.EBUSY, "struct_ops map '" + d.name + "': sampling_ops takes one policy "
                        + "at a time and this file declares one already; remove one");
            }
            out.addPolicy(PolicyDecl.of(d));
        } catch (SondeException e) {
            throw ProbeFileException.at(source, d, e);
        }
    }

    private BpfMap createMap(String source, MapDecl d, Map<String, BpfMap> declared, LoadedProbes out) {
        try {
            if (d.name == null || d.type == null) {
                throw new SondeException(Errno.EINVAL, "a map needs name: and type:; add the missing field");
            }
            if (declared.containsKey(d.name) || out.declaresPolicy(d.name)) {
                throw new SondeException(Errno.EEXIST, "map '" + d.name + "' is declared twice; rename one");
            }
            PolicyDecl.refuseFields(d);
            MapType t = d.type.type;
            MapSpec.Builder b = MapSpec.builder(t).name(d.name).keySize(d.keySize).valueSize(d.valueSize)
                    .maxEntries(d.maxEntries).numShards(d.numShards);
            if (t == MapType.RELAY) {
                // The relay's key/value view (index 0 → the files' base name) has fixed sizes: default them.
                b.keySize(d.keySize == 0 ? 4 : d.keySize).valueSize(d.valueSize == 0 ? 64 : d.valueSize)
                        .subbufSize(d.subbufSize).nSubbufs(d.nSubbufs);
            }
            if (d.privateShards && t != MapType.RELAY) {
                throw new SondeException(Errno.EINVAL, "privateShards is for relay maps, and '" + d.name + "' is a "
                        + t.bpftoolName() + "; remove privateShards: true");
            }
            long flags = d.overwrite ? (t == MapType.RELAY ? MapSpec.F_RELAY_OVERWRITE : MapSpec.F_RB_OVERWRITE) : 0;
            b.flags(flags | (d.privateShards ? MapSpec.F_RELAY_PRIVATE_SHARDS : 0));
            MapSpec spec = b.build();
            BpfMap existing = mapSource.byName(d.name);
            if (existing != null) {
                if (!compatible(existing, spec)) {
                    throw new SondeException(Errno.EEXIST, "map '" + d.name + "' already exists in this JVM as " + existing
                            + "; declare the same type and sizes to share it, or rename this one");
                }
                existing.retain();
                out.addReused(existing);
                return existing;
            }
            BpfMap m = mapSource.create(spec);
            out.addCreated(m);
            if (d.pinning == MapDecl.Pinning.BY_NAME) {
                m.pin();
            }
            return m;
        } catch (SondeException e) {
            throw ProbeFileException.at(source, d, e);
        }
    }

    /** libbpf's reuse check for a pinned map: same type, sizes, entries and flags. */
    private static boolean compatible(BpfMap m, MapSpec s) {
        return m.type() == s.type() && m.keySize() == s.keySize() && m.valueSize() == s.valueSize()
                && m.maxEntries() == s.maxEntries() && m.flags() == s.flags();
    }

    private void addProbe(ProbeDecl d, int index, Map<String, BpfMap> declared, LoadedProbes out) {
        if (d.program == null || d.program.isEmpty()) {
            throw new SondeException(Errno.EINVAL, "a probe needs program: (count, latency, exceptions, span, record, "
                    + "or a Java program class name); add it");
        }
        java.util.function.Function<String, BpfMap> maps = name -> resolve(name, declared);
        Set<String> allowed = BUILTINS.get(d.program);
        if (allowed == null) {
            if (!d.options.isEmpty()) {
                throw new SondeException(Errno.EINVAL, "Java program " + d.program + " takes no options; remove "
                        + "options:");
            }
            Class<?> c;
            try {
                c = Class.forName(d.program, true, programLoader);
            } catch (ClassNotFoundException | LinkageError e) {
                throw new SondeException(Errno.ENOENT, "program '" + d.program + "' is neither a built-in ("
                        + String.join(", ", new java.util.TreeSet<>(BUILTINS.keySet())) + ") nor a class on the class "
                        + "path; fix the name or add the program's jar to the class path");
            }
            for (Binding b : JavaPrograms.load(c, maps, d.type, d.method, d.descriptor)) {
                out.addBinding(b);
            }
            return;
        }
        for (String opt : d.options.keySet()) {
            if (!allowed.contains(opt)) {
                throw new SondeException(Errno.EINVAL, "option '" + opt + "' is unknown to program " + d.program
                        + "; valid options: " + (allowed.isEmpty() ? "none" : String.join(", ", allowed)));
            }
        }
        if (d.type == null) {
            throw new SondeException(Errno.EINVAL, "probe " + d.program + " needs class: (the class pattern to attach "
                    + "to); add it");
        }
        String name = d.name != null ? d.name : d.program + "#" + index;
        List<String> names = d.maps;
        Program p;
        switch (d.program) {
            case "count":
                needMaps(d, 1, 1, "the hash to count into");
                p = new Count(name, maps.apply(names.get(0)), intOption(d, "arg", Count.NO_ARG));
                break;
            case "latency":
                needMaps(d, 1, 1, "the percpu_array histogram");
                p = new Latency(name, maps.apply(names.get(0)));
                break;
            case "span":
                needMaps(d, 1, 1, "the ringbuf");
                p = new Span(name, maps.apply(names.get(0)));
                break;
            case "record":
                needMaps(d, 1, 1, "the relay");
                p = new Record(name, maps.apply(names.get(0)));
                break;
            default:
                needMaps(d, 1, 2, "the hash to count into, then optionally the name table");
                p = new Exceptions(name, maps.apply(names.get(0)), names.size() > 1 ? maps.apply(names.get(1)) : null,
                        DumpOption.parse(d.options.get("dump"), maps));
                break;
        }
        out.addBinding(new Binding(d.type, d.method != null ? d.method : MethodPattern.of("*"), d.descriptor, p));
    }

    private static BpfMap resolve(String name, Map<String, BpfMap> declared) {
        BpfMap m = declared.get(name);
        if (m == null) {
            throw new SondeException(Errno.ENOENT, "map '" + name + "' is not declared; add it under maps: or fix "
                    + "the name (declared: " + String.join(", ", new java.util.TreeSet<>(declared.keySet())) + ")");
        }
        return m;
    }

    private static void needMaps(ProbeDecl d, int min, int max, String what) {
        int n = d.maps.size();
        if (n < min || n > max) {
            throw new SondeException(Errno.EINVAL, "program " + d.program + " takes " + (min == max ? "" + min
                    : min + " to " + max) + " map(s) (" + what + "), got " + n + "; fix maps:");
        }
    }

    private static int intOption(ProbeDecl d, String key, int dflt) {
        JsonNode n = d.options.get(key);
        if (n == null) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new SondeException(Errno.EINVAL, "option " + key + ": '" + n.asText() + "' must be a whole number; "
                    + "write for example " + key + ": 0");
        }
        return n.intValue();
    }

    /** Where a declaration starts, for callers placing their own errors. */
    public static String where(String source, Located l) {
        return source + ":" + l.line() + ":" + l.column();
    }
}
