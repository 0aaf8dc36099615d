package dev.sonde.agent;

import dev.sonde.bridge.Hooks;
import dev.sonde.maps.SondeException;
import dev.sonde.probes.AttachPoint;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.Program;
import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.load.Binding;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hook ids and what is attached to each. A method keeps its id for the JVM's life (the same id when several class
 * loaders define the class, or when it is retransformed), so replacing programs only rewrites {@link Hooks}' slots.
 */
final class HookTable {
    private final Map<String, TargetMethod> byKey = new ConcurrentHashMap<>();
    private final Map<Integer, TargetMethod> byId = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> supers = new ConcurrentHashMap<>();
    /** Hook id → the bindings attached there, in load order; guarded by {@code this}. */
    private final Map<Integer, List<Binding>> attached = new LinkedHashMap<>();
    private int nextId = 1;

    static String key(String className, String method, String descriptor) {
        return className + '.' + method + descriptor;
    }

    /** The method's hook id, registering it on first sight. */
    synchronized TargetMethod register(String className, Set<String> superTypes, String method, String descriptor,
            String[] params, String returnType) {
        supers.putIfAbsent(className, Set.copyOf(superTypes));
        String k = key(className, method, descriptor);
        TargetMethod m = byKey.get(k);
        if (m == null) {
            m = new TargetMethod(nextId++, className, method, descriptor, params, returnType);
            byKey.put(k, m);
            byId.put(m.hookId(), m);
        }
        return m;
    }

    /** The method with hook id {@code id}, or null: how the exporters name span records. */
    TargetMethod byId(int id) {
        return byId.get(id);
    }

    /** The id of a registered method, or 0 (no hook: the bridge's slot 0 stays empty). */
    int idOf(String className, String method, String descriptor) {
        TargetMethod m = byKey.get(key(className, method, descriptor));
        return m == null ? 0 : m.hookId();
    }

    /**
     * Attaches {@code bindings} to {@code m} after the verifier's check of each against the method's parameters;
     * a program failing the check is refused everywhere (switched off, reported once).
     */
    synchronized void attach(TargetMethod m, Collection<Binding> bindings) {
        List<Binding> list = attached.computeIfAbsent(m.hookId(), k -> new ArrayList<>());
        boolean changed = false;
        for (Binding b : bindings) {
            if (list.contains(b)) {
                continue;
            }
            try {
                b.program().checkTarget(m);
            } catch (SondeException e) {
                b.program().stats().refuse(e.getMessage());
                continue;
            }
            list.add(b);
            changed = true;
        }
        if (changed) {
            publish(m, list);
        }
    }

    /**
     * Replaces what every registered method has attached with {@code bindingsFor(method)}: one slot write per
     * hook, no retransformation. Hooks left empty fall back to the bridge's fast path.
     */
    synchronized void rebind(java.util.function.Function<TargetMethod, List<Binding>> bindingsFor) {
        for (TargetMethod m : byKey.values()) {
            List<Binding> next = new ArrayList<>();
            for (Binding b : bindingsFor.apply(m)) {
                try {
                    b.program().checkTarget(m);
                    next.add(b);
                } catch (SondeException e) {
                    b.program().stats().refuse(e.getMessage());
                }
            }
            List<Binding> prev = attached.get(m.hookId());
            if (next.isEmpty() && prev == null) {
                continue;
            }
            attached.put(m.hookId(), next);
            publish(m, next);
        }
    }

    /** The class names a registered class extends or implements (itself included), for {@code Type+} patterns. */
    Set<String> superTypes(String className) {
        return supers.getOrDefault(className, Set.of());
    }

    private void publish(TargetMethod m, List<Binding> list) {
        List<Program> en = new ArrayList<>();
        List<Program> ex = new ArrayList<>();
        List<Program> th = new ArrayList<>();
        for (Binding b : list) {
            Program p = b.program();
            (p.kind() == ProbeKind.ENTRY ? en : p.kind() == ProbeKind.EXIT ? ex : th).add(p);
            if (p.kind() == ProbeKind.EXIT && p.alsoOnException()) {
                th.add(p);
            }
        }
        Hooks.set(m.hookId(), list.isEmpty() ? null : new AttachPoint(m, en.toArray(new Program[0]),
                ex.toArray(new Program[0]), th.toArray(new Program[0])));
    }

    synchronized List<TargetMethod> methods() {
        List<TargetMethod> l = new ArrayList<>(byKey.values());
        l.sort((a, b) -> Integer.compare(a.hookId(), b.hookId()));
        return l;
    }

    /** Hook ids where {@code p} is attached. */
    synchronized List<Integer> hooksOf(Program p) {
        List<Integer> ids = new ArrayList<>();
        for (Map.Entry<Integer, List<Binding>> e : attached.entrySet()) {
            for (Binding b : e.getValue()) {
                if (b.program() == p) {
                    ids.add(e.getKey());
                }
            }
        }
        return ids;
    }
}
