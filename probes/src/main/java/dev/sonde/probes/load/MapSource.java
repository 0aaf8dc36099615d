package dev.sonde.probes.load;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.Maps;

/** Where the loader finds and creates maps: {@link Maps} in the agent, a stand-in in tests. */
public interface MapSource {
    /** The live map of this name, or null. */
    BpfMap byName(String name);

    /** Creates a map; the caller owns the creator's reference. */
    BpfMap create(MapSpec spec);

    MapSource MAPS = new MapSource() {
        @Override
        public BpfMap byName(String name) {
            return Maps.byName(name);
        }

        @Override
        public BpfMap create(MapSpec spec) {
            return Maps.create(spec);
        }
    };
}
