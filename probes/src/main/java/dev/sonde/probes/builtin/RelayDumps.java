package dev.sonde.probes.builtin;

import dev.sonde.maps.Errno;
import dev.sonde.maps.RelayMap;

/**
 * Where an {@code exceptions} program's dump requests go (JFR's dump on demand, for a relay): the relay exporter
 * registers itself as the {@link Sink} when it starts. Lives on the bootstrap path with the programs, so a program on
 * an application thread reaches the exporter (in the agent's own class loader) through one volatile read.
 */
public final class RelayDumps {
    /** Takes a dump request; must not allocate, block or do I/O (it runs on the application's thread). */
    public interface Sink {
        /**
         * Export the records of the last {@code lastNanos} of {@code relay}, saying that an exception of the class
         * whose {@link NameHash} is {@code exceptionKey} leaving method {@code methodId} asked. Returns 0, or a
         * negative errno (-ENOENT: that relay is not exported).
         */
        int dump(RelayMap relay, long lastNanos, long exceptionKey, int methodId);
    }

    private static volatile Sink sink;

    private RelayDumps() {
    }

    /** Installs the exporter that serves dump requests (one per JVM: the latest wins). */
    public static void sink(Sink s) {
        sink = s;
    }

    /** Removes {@code s} if it is still the installed one. */
    public static synchronized void clear(Sink s) {
        if (sink == s) {
            sink = null;
        }
    }

    /** Passes a request on: 0, or -ENOENT when no exporter runs (export is off) or it does not serve the relay. */
    static int request(RelayMap relay, long lastNanos, long exceptionKey, int methodId) {
        Sink s = sink;
        return s == null ? -Errno.ENOENT : s.dump(relay, lastNanos, exceptionKey, methodId);
    }
}
