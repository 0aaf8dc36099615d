package dev.sonde.maps;

import java.util.concurrent.locks.LockSupport;

/**
 * The coarse clock of relays made with {@link MapSpec#F_RELAY_COARSE_CLOCK}: {@code System.nanoTime()} cached
 * by one daemon thread every {@link #TICK_NANOS}, as Agrona's {@code CachedNanoClock}. Reading it is one load;
 * {@code System.nanoTime()} costs 20 to 100 ns a call depending on the machine, more than the rest of a write.
 *
 * <p>The ticker sleeps when nobody needs it. Ticking every 50 µs costs a core about a tenth of its time on this
 * machine's VM (measured: 1.1 s of CPU in 10 s of an idle JVM), too much for a recorder that is always on. So
 * after {@link #ACTIVE_TICKS} ticks the ticker leaves a stale mark (bit 0 of the cached value) and parks for good;
 * the next write that reads the mark takes {@code System.nanoTime()} itself, publishes it and wakes the ticker.
 * A JVM that writes nothing spends nothing, and one that writes all the time pays one precise clock read and one
 * {@code unpark} per {@link #ACTIVE_TICKS} ticks.
 */
final class RelayClock {
    static final long TICK_NANOS = 50_000;
    /** About 0.1 to 0.2 s of ticks (timer slack stretches each) between two sleeps. */
    static final int ACTIVE_TICKS = 2_000;
    /** {@code System.nanoTime()} with bit 0 clear, or with bit 0 set while the ticker sleeps (stale). */
    private static volatile long now = System.nanoTime() | 1;
    private static volatile Thread ticker;

    private RelayClock() {
    }

    /** Starts the ticker once per JVM; it lives as long as the JVM, a daemon that parks between ticks. */
    static synchronized void start() {
        if (ticker != null) {
            return;
        }
        Thread t = new Thread(RelayClock::tick, "sonde-relay-clock");
        t.setDaemon(true);
        ticker = t;
        t.start();
    }

    private static void tick() {
        for (;;) {
            for (int i = 0; i < ACTIVE_TICKS; i++) {
                now = System.nanoTime() & ~1L;
                LockSupport.parkNanos(TICK_NANOS);
            }
            // A writer that read the value before this store used a time at most a tick old; any later one
            // sees the mark and wakes us. An unpark that comes before the park only makes the park return.
            now = System.nanoTime() | 1;
            LockSupport.park();
        }
    }

    static long now() {
        long t = now;
        return (t & 1) == 0 ? t : wake();
    }

    /** The ticker sleeps: the precise time for this write and the next ones until the ticker's first tick. */
    private static long wake() {
        long t = System.nanoTime() & ~1L;
        now = t;
        LockSupport.unpark(ticker);
        return t;
    }

    /** Whether the ticker has gone to sleep, for tests. */
    static boolean sleeping() {
        return (now & 1) != 0;
    }
}
