package dev.sonde.probes.load;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.StructOpsMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A probe file after loading: the maps it holds a reference on and its verified programs with their targets.
 * {@link #close()} detaches the programs and drops the map references, so maps nobody else holds are freed.
 */
public final class LoadedProbes implements AutoCloseable {
    private final String source;
    private final List<BpfMap> created = new ArrayList<>();
    private final List<BpfMap> reused = new ArrayList<>();
    private final List<Binding> bindings = new ArrayList<>();
    private final List<PolicyDecl> policies = new ArrayList<>();
    private final List<StructOpsMap> registered = new ArrayList<>();
    private boolean closed;

    LoadedProbes(String source) {
        this.source = source;
    }

    void addCreated(BpfMap m) { created.add(m); }
    void addReused(BpfMap m) { reused.add(m); }
    void addBinding(Binding b) { bindings.add(b); }
    void addPolicy(PolicyDecl p) { policies.add(p); }
    int policyCount() { return policies.size(); }

    boolean declaresPolicy(String name) {
        for (PolicyDecl p : policies) {
            if (p.name.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Creates and registers the file's STRUCT_OPS maps; call it once the programs this file replaces are closed
     * (their policy unregistered). A policy's callback gets the program id after this file's probe programs
     * (ids 1..n in {@code progs.json}). Returns how many were registered; throws the first refusal (EBUSY when
     * the JVM's own code holds the subsystem), leaving the probes running on the subsystem's default.
     */
    public synchronized int registerPolicies(MapSource source) {
        if (closed) {
            return 0;
        }
        int progId = bindings.size();
        for (PolicyDecl p : policies) {
            registered.add(p.register(source, ++progId));
        }
        return registered.size();
    }

    /** The registered STRUCT_OPS maps. */
    public synchronized List<StructOpsMap> policies() {
        return new ArrayList<>(registered);
    }

    public String source() { return source; }
    public List<Binding> bindings() { return Collections.unmodifiableList(bindings); }

    /** Every map of the file, created or reused. */
    public List<BpfMap> maps() {
        List<BpfMap> l = new ArrayList<>(created);
        l.addAll(reused);
        synchronized (this) {
            l.addAll(registered);
        }
        return l;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (StructOpsMap m : registered) {
            // Unregister first (delete: back to the default, once no call is inside the policy), then free.
            m.detach();
            m.close();
        }
        for (Binding b : bindings) {
            b.program().close();
        }
        for (BpfMap m : created) {
            m.close();
        }
        for (BpfMap m : reused) {
            m.release();
        }
    }
}
