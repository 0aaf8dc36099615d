package dev.sonde.probes.load;

import dev.sonde.maps.BpfMap;
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
    private boolean closed;

    LoadedProbes(String source) {
        this.source = source;
    }

    void addCreated(BpfMap m) { created.add(m); }
    void addReused(BpfMap m) { reused.add(m); }
    void addBinding(Binding b) { bindings.add(b); }

    public String source() { return source; }
    public List<Binding> bindings() { return Collections.unmodifiableList(bindings); }

    /** Every map of the file, created or reused. */
    public List<BpfMap> maps() {
        List<BpfMap> l = new ArrayList<>(created);
        l.addAll(reused);
        return l;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
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
