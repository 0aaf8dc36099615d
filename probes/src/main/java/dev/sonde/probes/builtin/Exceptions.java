package dev.sonde.probes.builtin;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapType;
import dev.sonde.maps.RelayMap;
import dev.sonde.probes.MapCheck;
import dev.sonde.probes.ProbeContext;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.Program;
import java.util.EnumSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code exceptions}: counts thrown exceptions by class. Key = {@link NameHash} of the class's binary name in a
 * hash with 8-byte keys; the optional second map is the name table ({@link NameTableLayout}) so keys decode.
 *
 * <p>With a dump ({@code options: {dump: {relay: flight, lastSeconds: 10, minInterval: 30s}}}) a counted exception
 * also asks for the relay's last N seconds as OTLP logs, as JFR dumps its recording on demand: at most one request
 * per {@code minInterval} (one CAS on a time word decides; the others are counted as rate-limited), handed to the
 * relay exporter through {@link RelayDumps}, which only stores the window and wakes its own thread. Nothing here
 * allocates, locks or does I/O.
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

    /** What a dump asks for: which relay, how far back, how often at most. */
    public static final class Dump {
        final RelayMap relay;
        final long lastNanos;
        final long minIntervalNanos;

        /** Checked by the probe-file loader, which places errors in the file; here only the invariants. */
        public Dump(BpfMap relay, long lastNanos, long minIntervalNanos) {
            if (relay == null || relay.type() != MapType.RELAY || lastNanos <= 0 || minIntervalNanos < 0) {
                throw new IllegalArgumentException("a dump needs a relay map, lastNanos > 0 and minIntervalNanos >= 0");
            }
            this.relay = (RelayMap) relay;
            this.lastNanos = lastNanos;
            this.minIntervalNanos = minIntervalNanos;
        }
    }

    private final BpfMap counts;
    private final BpfMap names;
    private final Dump dump;
    /** {@link System#nanoTime()} of the last dump request let through. */
    private final AtomicLong lastDump;
    private final AtomicLong dumpsRequested = new AtomicLong();
    private final AtomicLong dumpsRateLimited = new AtomicLong();
    private final AtomicLong dumpsUnserved = new AtomicLong();

    public Exceptions(String name, BpfMap counts, BpfMap names) {
        this(name, counts, names, null);
    }

    /** @param dump null for counting only */
    public Exceptions(String name, BpfMap counts, BpfMap names, Dump dump) {
        super(name, "exceptions", ProbeKind.EXCEPTION, maps(counts, names, dump));
        try {
            MapCheck.require(name, "counts", counts, MapCheck.HASHES, 8, 8);
            MapCheck.requireAccess(name, "counts", counts, true, true);
            if (names != null) {
                MapCheck.require(name, "names", names, MapCheck.HASHES, 8, NameTableLayout.MIN_VALUE_SIZE);
                MapCheck.requireAccess(name, "names", names, true, true);
            }
            if (dump != null) {
                MapCheck.require(name, "dump relay", dump.relay, EnumSet.of(MapType.RELAY), 0, 0);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.counts = counts;
        this.names = names;
        this.dump = dump;
        // The first exception may dump at once.
        this.lastDump = new AtomicLong(System.nanoTime() - (dump == null ? 0 : dump.minIntervalNanos) - 1);
    }

    /** The dump relay is one of the program's maps: held while the program is loaded, listed in progs.json. */
    private static BpfMap[] maps(BpfMap counts, BpfMap names, Dump dump) {
        BpfMap[] m = names == null ? new BpfMap[] {counts} : new BpfMap[] {counts, names};
        if (dump != null) {
            m = java.util.Arrays.copyOf(m, m.length + 1);
            m[m.length - 1] = dump.relay;
        }
        return m;
    }

    /** The relay this program dumps, or null. */
    public RelayMap dumpRelay() {
        return dump == null ? null : dump.relay;
    }

    /** Dump requests handed to the relay exporter. */
    public long dumpsRequested() {
        return dumpsRequested.get();
    }

    /** Exceptions that came within {@code minInterval} of the last request, so asked for no dump. */
    public long dumpsRateLimited() {
        return dumpsRateLimited.get();
    }

    /** Requests no exporter took (export off, or the relay not exported). */
    public long dumpsUnserved() {
        return dumpsUnserved.get();
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
        if (dump != null) {
            requestDump(key, ctx.methodId());
        }
    }

    private void requestDump(long key, int methodId) {
        long now = System.nanoTime();
        long last = lastDump.get();
        // One winner per interval, even when many threads throw at once: the CAS's losers are rate-limited too.
        if (now - last < dump.minIntervalNanos || !lastDump.compareAndSet(last, now)) {
            dumpsRateLimited.incrementAndGet();
            return;
        }
        if (RelayDumps.request(dump.relay, dump.lastNanos, key, methodId) < 0) {
            dumpsUnserved.incrementAndGet();
        } else {
            dumpsRequested.incrementAndGet();
        }
    }
}
