package dev.sonde.probes.testing;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapSpec;
import dev.sonde.probes.load.MapSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link MapSource} making {@link FakeMap}s under a test directory, remembering all it made. */
public final class FakeMaps implements MapSource {
    private final Path dir;
    private final Map<String, FakeMap> live = new ConcurrentHashMap<>();
    public final List<FakeMap> created = new ArrayList<>();

    public FakeMaps(Path dir) {
        this.dir = dir;
    }

    @Override
    public BpfMap byName(String name) {
        FakeMap m = live.get(name);
        return m == null || m.isFreed() ? null : m;
    }

    @Override
    public BpfMap create(MapSpec spec) {
        FakeMap m = FakeMap.create(dir, spec);
        live.put(spec.name(), m);
        created.add(m);
        return m;
    }

    public FakeMap get(String name) {
        return live.get(name);
    }
}
