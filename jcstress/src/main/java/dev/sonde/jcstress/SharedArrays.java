package dev.sonde.jcstress;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.SondeDir;
import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One array per value size, shared by all states of a test: jcstress makes states by the thousand and a map file
 * each would be absurd, so each state takes the next element of a large ring and zeroes it. More states than
 * this are never alive at once. The maps are closed (their files removed) when the forked JVM exits.
 */
final class SharedArrays {
    static final int ELEMENTS = 1 << 18;
    static final BpfMap LONGS = create("jcstress_longs", 8);
    static final BpfMap PAIRS = create("jcstress_pairs", 16);
    private static final AtomicInteger NEXT = new AtomicInteger();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(SharedArrays::cleanUp));
    }

    private SharedArrays() {
    }

    private static BpfMap create(String name, int valueSize) {
        return Maps.create(MapSpec.builder(MapType.ARRAY).name(name + "_" + ProcessHandle.current().pid())
                .keySize(4).valueSize(valueSize).maxEntries(ELEMENTS).build());
    }

    /** Removes the maps and, when nothing else is left in them, this JVM's directories under the Sonde directory. */
    private static void cleanUp() {
        LONGS.close();
        PAIRS.close();
        try {
            Files.deleteIfExists(SondeDir.mapsDir());
            Files.deleteIfExists(SondeDir.processDir());
        } catch (IOException notEmpty) {
            // Something else of this JVM lives there: leave it.
        }
    }

    /** The next element index, zeroed in {@code map}. */
    static int next(BpfMap map) {
        int index = NEXT.getAndIncrement() & (ELEMENTS - 1);
        map.update(key(index), new byte[map.valueSize()], BpfMap.ANY);
        return index;
    }

    static byte[] key(int index) {
        return new byte[] {(byte) index, (byte) (index >>> 8), (byte) (index >>> 16), (byte) (index >>> 24)};
    }

    static byte[] filled(int size, int b) {
        byte[] v = new byte[size];
        java.util.Arrays.fill(v, (byte) b);
        return v;
    }

    static long word(byte[] v, int at) {
        long x = 0;
        for (int i = 7; i >= 0; i--) {
            x = (x << 8) | (v[at + i] & 0xFF);
        }
        return x;
    }
}
