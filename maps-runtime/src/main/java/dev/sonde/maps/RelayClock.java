package dev.sonde.maps;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The coarse clock of relays made with {@link MapSpec#F_RELAY_COARSE_CLOCK}: {@code System.nanoTime()} cached
 * by one daemon thread every {@link #TICK_NANOS} (1 ms, the resolution of the kernel's coarse clocks and of
 * {@code bpf_ktime_get_coarse_ns()}), as Agrona's {@code CachedNanoClock}. Reading it is one load, where
 * {@code System.nanoTime()} costs 20 to 100 ns a call depending on the machine, more than the rest of a write.
 *
 * <p>The ticker runs only while it saves more than it costs. A tick costs this machine's VM about 12 µs of CPU (a
 * timed park and its wake-up), as much as 500 {@code System.nanoTime()} calls; ticking every 50 µs, as the clock
 * first did, a JVM writing ten records a second spent 12% of a core on it (measured with the process's CPU time).
 * So the ticker works in rounds of {@link #ACTIVE_TICKS} ticks and after each looks at how far the coarse-clock
 * relays' writers moved (the positions their claims left, {@link RelayWriter#claimed}: heap memory, so a map
 * closed meanwhile is never touched): at {@link #WAKE_RECORDS} records of {@link #RECORD_BYTES} a tick or more,
 * the rate at which ticking pays off, it goes on. Otherwise it leaves a stale mark (bit 0 of the cached value)
 * and looks again every {@link #IDLE_POLL_NANOS}; a write that reads the mark takes {@code System.nanoTime()}
 * itself, so slow writers get exact times. No writer waits for, counts for or wakes the ticker: the hot path is
 * one load and one bit test, and the rare path a clock call. The ticker ends when the last coarse relay is freed.
 */
final class RelayClock {
    static final long TICK_NANOS = 1_000_000;
    /** Ticks per round: about 0.2 s. */
    static final int ACTIVE_TICKS = 200;
    /** Records per tick at which the ticker pays for itself (500 at 12 µs a tick and 24 ns a precise read). */
    static final int WAKE_RECORDS = 512;
    /** A small record (16-byte header, 16-byte payload): positions move by bytes, the rate counts records. */
    static final int RECORD_BYTES = 32;
    /** How often a sleeping ticker looks whether writes came fast enough to need it. */
    static final long IDLE_POLL_NANOS = 100_000_000;
    /** {@code System.nanoTime()} with bit 0 clear, or with bit 0 set while the ticker sleeps (stale). */
    private static volatile long now = System.nanoTime() | 1;
    private static Thread ticker;
    /** The writers of coarse-clock relays (guarded by RelayClock.class); a closed map's drops out with its writer. */
    private static final List<WeakReference<RelayWriter>> WRITERS = new ArrayList<>();

    private RelayClock() {
    }

    /** Lets the ticker see {@code w}'s writes; starts the ticker (a daemon) unless it runs. */
    static synchronized void register(RelayWriter w) {
        WRITERS.add(new WeakReference<>(w));
        if (ticker == null) {
            // Fresh from now on, as while the ticker runs a round: a retired ticker left the stale mark, and its
            // successor's first tick comes only once the thread is scheduled.
            now = System.nanoTime() & ~1L;
            ticker = new Thread(RelayClock::tick, "sonde-relay-clock");
            ticker.setDaemon(true);
            ticker.start();
        }
    }

    /** {@code w}'s map was freed: the ticker stops counting its writes, and ends when no coarse relay is left. */
    static synchronized void unregister(RelayWriter w) {
        WRITERS.removeIf(r -> r.get() == null || r.get() == w);
    }

    /** Called by the ticker between its looks: true (and the ticker is gone) when no coarse relay is left. */
    private static synchronized boolean retire() {
        WRITERS.removeIf(r -> r.get() == null);
        if (!WRITERS.isEmpty()) {
            return false;
        }
        ticker = null; // the next register() starts another
        return true;
    }

    /** The sum of every registered writer's positions: only its changes mean anything. */
    private static synchronized long claimed() {
        long sum = 0;
        for (Iterator<WeakReference<RelayWriter>> it = WRITERS.iterator(); it.hasNext();) {
            RelayWriter w = it.next().get();
            if (w == null) {
                it.remove();
            } else {
                sum += w.claimed();
            }
        }
        return sum;
    }

    private static void tick() {
        for (;;) {
            long from = System.nanoTime();
            long mark = claimed();
            for (int i = 0; i < ACTIVE_TICKS; i++) {
                now = System.nanoTime() & ~1L;
                LockSupport.parkNanos(TICK_NANOS);
            }
            if (busy(mark, from)) {
                continue;
            }
            // A writer that read the value before this store used a time at most a tick old; any later one
            // sees the mark and reads the clock itself.
            now = System.nanoTime() | 1;
            do {
                if (retire()) {
                    return;
                }
                from = System.nanoTime();
                mark = claimed();
                LockSupport.parkNanos(IDLE_POLL_NANOS);
            } while (!busy(mark, from));
        }
    }

    /**
     * Whether the writers claimed at least WAKE_RECORDS small records per tick's time since {@code from}, judged over
     * a tick's time at least (a park that returned early is no sample of the rate).
     */
    private static boolean busy(long mark, long from) {
        long bytes = claimed() - mark;
        long elapsed = Math.max(System.nanoTime() - from, TICK_NANOS);
        return bytes * TICK_NANOS >= (long) WAKE_RECORDS * RECORD_BYTES * elapsed;
    }

    static long now() {
        long t = now;
        return (t & 1) == 0 ? t : System.nanoTime();
    }

    /** Whether the ticker has left the stale mark, for tests. */
    static boolean sleeping() {
        return (now & 1) != 0;
    }
}
