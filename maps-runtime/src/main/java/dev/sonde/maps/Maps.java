package dev.sonde.maps;

import java.nio.file.Path;
import java.util.List;

/**
 * Creating, opening and finding maps: {@code bpf(BPF_MAP_CREATE)}, {@code bpf_obj_get()} on a file, and
 * {@code bpftool map list}.
 */
public final class Maps {
    private Maps() {
    }

    /** Shards of per-shard maps and relays: {@code sonde.shards}, else twice the CPUs, a power of two. */
    public static int numShards() {
        return Shards.numShards();
    }

    /**
     * How this JVM's probe-hit paths (typed accessors, ringbuf and relay writes) reach map memory: {@code
     * "sun.misc.Unsafe"} (JDK 17-23), {@code "jdk.internal.misc.Unsafe"} (JDK 24+, exported to the maps runtime, as
     * the agent does) or {@code "VarHandle"} (the checked byte-buffer accesses, about a third slower per relay
     * record). For status output; see docs/internals.md.
     */
    public static String memoryAccess() {
        return HotMemory.access();
    }

    /**
     * Creates a map and its file {@code <sonde dir>/<pid>/maps/<name>} (with {@code <name>.json}). A bad spec
     * throws {@link SondeException} and leaves nothing on disk.
     */
    public static BpfMap create(MapSpec spec) {
        MapFactory factory = factory(spec.type());
        factory.validate(spec);
        spec = factory.adjust(spec);
        int id = MapRegistry.nextId();
        if (spec.name() == null) {
            spec = spec.toBuilder().name(spec.type().bpftoolName() + "_" + id).build();
        }
        long dataSize = factory.dataSize(spec);
        Object claim = new Object();
        MapRegistry.claimName(spec.name(), claim);
        MapFile file = null;
        BpfMap map = null;
        try {
            Path path = SondeDir.ensureDir(SondeDir.mapsDir()).resolve(spec.name());
            if (java.nio.file.Files.exists(path)) {
                // Left by a map of the same name that was pinned, in this JVM: keep it, refuse the name.
                throw new SondeException(Errno.EEXIST, "map file " + path + " already exists (a pinned map?); "
                        + "delete it or pick another name");
            }
            file = MapFile.create(path, spec, spec.name(), id, dataSize);
            map = factory.create(spec, id, file);
            MapMetadata.write(map);
            MapRegistry.register(map, claim);
            return map;
        } catch (RuntimeException e) {
            if (map != null) {
                map.onFree();
            }
            if (file != null) {
                file.delete();
                MapFile.deleteQuietly(MapMetadata.metadataPath(file.path()));
            }
            MapRegistry.releaseName(spec.name(), claim);
            throw e;
        }
    }

    /**
     * Opens a map file read-only, from another process or after the JVM that wrote it has died: lookup,
     * getNextKey and iteration work; writes return -EPERM. A ringbuf opened this way can be consumed (its
     * consumer position is the one page mapped writable, as the kernel maps it).
     */
    public static BpfMap open(Path path) {
        return open(path, false);
    }

    /** Opens a map file; with {@code writable} the syscall-style updates and deletes work too (the CLI's {@code map update}). */
    public static BpfMap open(Path path, boolean writable) {
        MapFile file = MapFile.open(path, writable);
        MapSpec spec = file.spec();
        return factory(spec.type()).open(spec, file, !writable);
    }

    public static List<BpfMap> list() {
        return MapRegistry.list();
    }

    /** The live map with this id, or null. */
    public static BpfMap byId(int id) {
        return MapRegistry.byId(id);
    }

    /** The live map with this name, or null. */
    public static BpfMap byName(String name) {
        return MapRegistry.byName(name);
    }

    static MapFactory factory(MapType type) {
        switch (type) {
            case ARRAY:
            case PERCPU_ARRAY:
                return ArrayMap.FACTORY;
            case ARRAY_OF_MAPS:
                return ArrayOfMaps.FACTORY;
            case HASH:
            case PERCPU_HASH:
            case LRU_HASH:
                return HashFactory.INSTANCE;
            case STRUCT_OPS:
                return StructOpsMap.FACTORY;
            case HASH_OF_MAPS:
                return HashOfMaps.FACTORY;
            case RINGBUF:
                return new RingBufFactory();
            case RELAY:
                return RelayFactory.INSTANCE;
            default:
                throw new SondeException(Errno.EOPNOTSUPP, "map type " + type.bpftoolName()
                        + " is not available in this Sonde build; use array, hash or ringbuf");
        }
    }
}
