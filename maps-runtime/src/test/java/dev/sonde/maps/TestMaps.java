package dev.sonde.maps;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;

/** Helpers shared by the runtime's tests: unique map names, little-endian keys and values. */
final class TestMaps {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private TestMaps() {
    }

    /** A name no other test in this JVM uses (names are unique among live maps). */
    static String name(String prefix) {
        return prefix + "_" + SEQ.incrementAndGet();
    }

    static MapSpec.Builder array(String prefix, int valueSize, int maxEntries) {
        return MapSpec.builder(MapType.ARRAY).name(name(prefix)).keySize(4).valueSize(valueSize).maxEntries(maxEntries);
    }

    static MapSpec.Builder percpu(String prefix, int valueSize, int maxEntries) {
        return MapSpec.builder(MapType.PERCPU_ARRAY).name(name(prefix)).keySize(4).valueSize(valueSize)
                .maxEntries(maxEntries);
    }

    static byte[] key(int index) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(index).array();
    }

    static int keyOf(byte[] key) {
        return ByteBuffer.wrap(key).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    static byte[] longs(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    static long longAt(byte[] value, int index) {
        return ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getLong(index * 8);
    }

    static byte[] ints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    static int intAt(byte[] value, int index) {
        return ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getInt(index * 4);
    }
}
