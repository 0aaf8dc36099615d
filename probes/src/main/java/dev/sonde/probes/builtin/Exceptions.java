package dev.sonde.probes.builtin;

import dev.sonde.maps.BpfMap;
import dev.sonde.probes.MapCheck;
import dev.sonde.probes.ProbeContext;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.Program;

/**
 * {@code exceptions}: counts thrown exceptions by class. Key = {@link NameHash} of the class's binary name in a
 * hash with 8-byte keys; the optional second map is the name table ({@link NameTableLayout}) so keys decode.
 */
public final class Exceptions extends Program {
    /** The hash of each class's name, computed once per class. */
    private static final ClassValue<long[]> KEYS = new ClassValue<>() {
        @Override
        protected long[] computeValue(Class<?> type) {
            long key = NameHash.of(type.getName());
            NAMES.putIfAbsent(key, type.getName());
            return new long[] {key};
        }
    };
    /** Hash → name of every class {@link #key} has seen: once per class, so span records carry only the hash. */
    private static final java.util.Map<Long, String> NAMES = new java.util.concurrent.ConcurrentHashMap<>();

    /** The class name behind a {@link #key} computed in this JVM, or null. */
    public static String name(long key) {
        return NAMES.get(key);
    }

    /** The key of exceptions of class {@code c}: {@link NameHash} of its binary name, cached per class. */
    public static long key(Class<?> c) {
        return KEYS.get(c)[0];
    }

    private final BpfMap counts;
    private final BpfMap names;

    public Exceptions(String name, BpfMap counts, BpfMap names) {
        super(name, "exceptions", ProbeKind.EXCEPTION, names == null ? new BpfMap[] {counts} : new BpfMap[] {counts, names});
        try {
            MapCheck.require(name, "counts", counts, MapCheck.HASHES, 8, 8);
            if (names != null) {
                MapCheck.require(name, "names", names, MapCheck.HASHES, 8, NameTableLayout.MIN_VALUE_SIZE);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.counts = counts;
        this.names = names;
    }

    @Override
    public boolean needsDuration() {
        return false;
    }

    @Override
    public void run(ProbeContext ctx) {
        Throwable t = ctx.thrown();
        if (t == null) {
            return;
        }
        Class<?> c = t.getClass();
        long key = key(c);
        if (counts.incrementLong(key, 0, 1) < 0) {
            stats().mapError();
        }
        if (names != null && names.lookupElem(key) < 0 && NameTableLayout.put(names, key, c.getName()) < 0) {
            stats().mapError();
        }
    }
}
