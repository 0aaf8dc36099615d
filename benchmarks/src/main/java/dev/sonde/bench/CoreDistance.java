package dev.sonde.bench;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How far apart this machine's two CPUs are right now: the round trip of a cache line between two threads, in ns.
 * On the 2-vCPU development VM it reads about 70 ns or about 330 ns, and flips between the two every few tens of
 * seconds as the host moves its vCPUs. Every multi-threaded benchmark row follows it (a ring's consumer reads
 * what producers on the other CPU wrote), so {@code goals.sh} runs this before and after each such row and compares
 * rows measured at the same distance only (benchmarks/README.md, "Ringbuf", stop 19).
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.sonde.bench.CoreDistance}; prints the median of
 * five runs, whole nanoseconds.
 */
public final class CoreDistance {
    private static final int ROUND_TRIPS = 400_000;
    private static final int RUNS = 5;

    private CoreDistance() {
    }

    public static void main(String[] args) throws InterruptedException {
        double[] ns = new double[RUNS];
        for (int r = 0; r < RUNS; r++) {
            ns[r] = roundTrip();
        }
        Arrays.sort(ns);
        System.out.println(Math.round(ns[RUNS / 2]));
    }

    /** One run: the mean ns of a round trip, a line written by one thread and answered by the other. */
    private static double roundTrip() throws InterruptedException {
        AtomicLong line = new AtomicLong();
        Thread echo = new Thread(() -> {
            for (long i = 1; i <= ROUND_TRIPS; i++) {
                while (line.get() != 2 * i - 1) {
                    Thread.onSpinWait();
                }
                line.set(2 * i);
            }
        }, "core-distance-echo");
        echo.setDaemon(true);
        echo.start();
        long start = System.nanoTime();
        for (long i = 1; i <= ROUND_TRIPS; i++) {
            line.set(2 * i - 1);
            while (line.get() != 2 * i) {
                Thread.onSpinWait();
            }
        }
        long elapsed = System.nanoTime() - start;
        echo.join();
        return elapsed / (double) ROUND_TRIPS;
    }
}
