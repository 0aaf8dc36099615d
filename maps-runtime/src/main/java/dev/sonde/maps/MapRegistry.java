package dev.sonde.maps;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The JVM's maps by id and by name: ids are never reused, names are unique among live maps. */
final class MapRegistry {
    private static final AtomicInteger NEXT_ID = new AtomicInteger(1);
    private static final ConcurrentHashMap<Integer, BpfMap> BY_ID = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, Object> NAMES = new ConcurrentHashMap<>();

    private MapRegistry() {
    }

    static int nextId() {
        return NEXT_ID.getAndIncrement();
    }

    /** Claims {@code name} before the map's file exists, so two creates of one name cannot both touch the disk. */
    static void claimName(String name, Object owner) {
        Object prev = NAMES.putIfAbsent(name, owner);
        if (prev != null) {
            throw new SondeException(Errno.EEXIST, "a map named '" + name + "' already exists in this JVM; "
                    + "pick another name or close the existing map first");
        }
    }

    static void releaseName(String name, Object owner) {
        NAMES.remove(name, owner);
    }

    static void register(BpfMap map, Object nameClaim) {
        BY_ID.put(map.id(), map);
        NAMES.replace(map.name(), nameClaim, map);
    }

    static void remove(BpfMap map) {
        BY_ID.remove(map.id(), map);
        NAMES.remove(map.name(), map);
    }

    static BpfMap byId(int id) {
        return BY_ID.get(id);
    }

    static BpfMap byName(String name) {
        Object o = NAMES.get(name);
        return o instanceof BpfMap ? (BpfMap) o : null;
    }

    static List<BpfMap> list() {
        List<BpfMap> l = new ArrayList<>(BY_ID.values());
        l.sort(Comparator.comparingInt(BpfMap::id));
        return l;
    }
}
