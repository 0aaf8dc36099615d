package dev.sonde.probes.testing;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Errno;
import dev.sonde.maps.MapFile;
import dev.sonde.maps.MapHeaderLayout;
import dev.sonde.maps.MapMemory;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the array and hash maps in probes' unit tests: real mapped memory and the typed accessors of
 * {@link BpfMap}, slots found through a Java map (tests only). Per-shard types keep one shard.
 */
public final class FakeMap extends BpfMap {
    private static final AtomicInteger IDS = new AtomicInteger(1000);
    private final ConcurrentHashMap<Long, Integer> slots = new ConcurrentHashMap<>();
    private final AtomicInteger used = new AtomicInteger();
    private final int stride;

    private FakeMap(MapSpec spec, int id, MapFile file) {
        super(spec, id, file, false);
        this.stride = MapMemory.roundUp8(spec.valueSize());
    }

    public static FakeMap create(Path dir, MapSpec spec) {
        int id = IDS.getAndIncrement();
        long size = (long) MapMemory.roundUp8(spec.valueSize()) * Math.max(1, spec.maxEntries());
        MapFile f = MapFile.create(dir.resolve(spec.name() + "-" + id), spec, spec.name(), id, size);
        return new FakeMap(spec, id, f);
    }

    private boolean array() {
        return type() == MapType.ARRAY || type() == MapType.PERCPU_ARRAY;
    }

    @Override
    public long lookupElem(long key) {
        if (array()) {
            return key >= 0 && key < maxEntries() ? MapHeaderLayout.DATA_OFFSET + key * stride : -Errno.ENOENT;
        }
        Integer s = slots.get(key);
        return s == null ? -Errno.ENOENT : MapHeaderLayout.DATA_OFFSET + (long) s * stride;
    }

    @Override
    public long lookupOrInitElem(long key) {
        if (array()) {
            return lookupElem(key);
        }
        Integer s = slots.computeIfAbsent(key, k -> {
            int n = used.getAndIncrement();
            return n < maxEntries() ? n : null;
        });
        return s == null ? -Errno.E2BIG : MapHeaderLayout.DATA_OFFSET + (long) s * stride;
    }

    /** The long at {@code offset} of {@code key}'s value, or -1 when absent. */
    public long longAt(long key, int offset) {
        long h = lookupElem(key);
        return h < 0 ? -1 : getLong(h, offset);
    }

    public int size() {
        return array() ? maxEntries() : slots.size();
    }
}
