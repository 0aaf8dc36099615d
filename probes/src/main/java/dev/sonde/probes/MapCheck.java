package dev.sonde.probes;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Errno;
import dev.sonde.maps.MapType;
import dev.sonde.maps.SondeException;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** The verifier's map rules: a program may only use a map of a type whose helpers it calls, with the sizes it reads. */
public final class MapCheck {
    /** Types whose values {@code lookup}/{@code incrementLong} reach by a long key. */
    public static final Set<MapType> KEYED = EnumSet.of(MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH,
            MapType.ARRAY, MapType.PERCPU_ARRAY);
    public static final Set<MapType> HASHES = EnumSet.of(MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH);
    public static final Set<MapType> ARRAYS = EnumSet.of(MapType.ARRAY, MapType.PERCPU_ARRAY);

    private MapCheck() {
    }

    /**
     * Refuses {@code map} for program {@code prog} unless its type is one of {@code types}, its key is
     * {@code keySize} bytes (0: any) and its value at least {@code minValueSize}.
     */
    public static void require(String prog, String role, BpfMap map, Set<MapType> types, int keySize, int minValueSize) {
        if (!types.contains(map.type())) {
            throw new SondeException(Errno.EINVAL, "program '" + prog + "' refused: its " + role + " map '" + map.name()
                    + "' is a " + map.type().bpftoolName() + " map; declare it as " + names(types));
        }
        if (keySize != 0 && map.keySize() != keySize) {
            throw new SondeException(Errno.EINVAL, "program '" + prog + "' refused: its " + role + " map '" + map.name()
                    + "' has keySize " + map.keySize() + "; declare keySize: " + keySize);
        }
        if (map.valueSize() < minValueSize) {
            throw new SondeException(Errno.EINVAL, "program '" + prog + "' refused: its " + role + " map '" + map.name()
                    + "' has valueSize " + map.valueSize() + "; declare valueSize: " + minValueSize + " or more");
        }
    }

    /** The key size a long-keyed program needs: arrays take 4-byte keys, hashes the 8-byte long. */
    public static int longKeySize(MapType t) {
        return ARRAYS.contains(t) ? 4 : 8;
    }

    static String names(Set<MapType> types) {
        return types.stream().map(MapType::bpftoolName).collect(Collectors.joining(" or "));
    }
}
