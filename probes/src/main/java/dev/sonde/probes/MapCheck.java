package dev.sonde.probes;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Errno;
import dev.sonde.maps.MapSpec;
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

    /**
     * The verifier's {@code check_map_access_type()}: refuses {@code map} for program {@code prog} when the program
     * writes it and it was created with {@link MapSpec#F_RDONLY_PROG}, or reads it and it was created with
     * {@link MapSpec#F_WRONLY_PROG}. An atomic add both reads and writes, as the kernel's {@code check_atomic()}.
     */
    public static void requireAccess(String prog, String role, BpfMap map, boolean reads, boolean writes) {
        if (writes && !progWritable(map)) {
            throw new SondeException(Errno.EACCES, "program '" + prog + "' refused: it writes its " + role + " map '"
                    + map.name() + "', created with F_RDONLY_PROG (programs may only read it); drop the flag or give "
                    + "the program another map");
        }
        if (reads && !progReadable(map)) {
            throw new SondeException(Errno.EACCES, "program '" + prog + "' refused: it reads its " + role + " map '"
                    + map.name() + "', created with F_WRONLY_PROG (programs may only write it); drop the flag or give "
                    + "the program another map");
        }
    }

    /** Whether programs may write {@code map}'s values (not {@link MapSpec#F_RDONLY_PROG}). */
    public static boolean progWritable(BpfMap map) {
        return (map.flags() & MapSpec.F_RDONLY_PROG) == 0;
    }

    /** Whether programs may read {@code map}'s values (not {@link MapSpec#F_WRONLY_PROG}). */
    public static boolean progReadable(BpfMap map) {
        return (map.flags() & MapSpec.F_WRONLY_PROG) == 0;
    }

    /** The key size a long-keyed program needs: arrays take 4-byte keys, hashes the 8-byte long. */
    public static int longKeySize(MapType t) {
        return ARRAYS.contains(t) ? 4 : 8;
    }

    static String names(Set<MapType> types) {
        return types.stream().map(MapType::bpftoolName).collect(Collectors.joining(" or "));
    }
}
