package dev.sonde.maps;

/**
 * Run in a child JVM by {@link MapOpenTest}: creates an array and a per-shard array, writes known values, prints
 * their paths and exits without closing them, as a process that dies would.
 */
public final class ChildArrayWriter {
    private ChildArrayWriter() {
    }

    public static void main(String[] args) {
        BpfMap a = Maps.create(MapSpec.builder(MapType.ARRAY).name(args[0]).keySize(4).valueSize(8).maxEntries(16).build());
        for (int i = 0; i < 16; i++) {
            a.update(TestMaps.key(i), TestMaps.longs(expected(i)), BpfMap.ANY);
        }
        BpfMap p = Maps.create(MapSpec.builder(MapType.PERCPU_ARRAY).name(args[0] + "_pcpu").keySize(4).valueSize(8)
                .maxEntries(4).numShards(4).build());
        long[] shards = new long[4];
        for (int s = 0; s < 4; s++) {
            shards[s] = 1000 + s;
        }
        p.update(TestMaps.key(3), TestMaps.longs(shards), BpfMap.ANY);
        System.out.println(a.path());
        System.out.println(p.path());
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    static long expected(int i) {
        return (long) i * i + 0x1234_5678_9AL;
    }
}
