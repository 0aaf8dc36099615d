package dev.sonde.maps;

import java.util.concurrent.locks.LockSupport;

/**
 * The coarse clock of relays made with {@link MapSpec#F_RELAY_COARSE_CLOCK}: {@code System.nanoTime()} cached
 * by one daemon thread every {@link #TICK_NANOS}, as Agrona's {@code CachedNanoClock}. Reading it is one load;
 * {@code System.nanoTime()} costs 20 to 100 ns a call depending on the machine, more than the rest of a write.
 */
final class RelayClock {
    static final long TICK_NANOS = 50_000;
    private static volatile long now = System.nanoTime();
    private static boolean started;

    private RelayClock() {
    }

    /** Starts the ticker once per JVM; it lives as long as the JVM, a daemon that parks between ticks. */
    static synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        Thread t = new Thread(() -> {
            for (;;) {
                now = System.nanoTime();
                LockSupport.parkNanos(TICK_NANOS);
            }
        }, "sonde-relay-clock");
        t.setDaemon(true);
        t.start();
    }

    static long now() {
        return now;
    }
}
