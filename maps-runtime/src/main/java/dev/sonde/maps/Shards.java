package dev.sonde.maps;

/**
 * Which shard the calling thread writes to. The JVM has no CPU affinity to lean on, so a per-shard ("per-CPU")
 * map gives each thread the shard its id selects: threads created one after another land on different shards,
 * and a thread always lands on the same one. Two threads may share a shard, so shard writes stay atomic.
 */
public final class Shards {
    private static final int NUM_SHARDS = computeNumShards();

    private Shards() {
    }

    /** {@code sonde.shards} / {@code SONDE_SHARDS} if set (rounded up to a power of two), else 2 x CPUs rounded up. */
    static int computeNumShards() {
        String s = System.getProperty("sonde.shards");
        if (s == null || s.isEmpty()) {
            s = System.getenv("SONDE_SHARDS");
        }
        int n = 0;
        if (s != null && !s.isEmpty()) {
            try {
                n = Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                n = 0;
            }
        }
        if (n <= 0) {
            n = 2 * Runtime.getRuntime().availableProcessors();
        }
        n = Math.min(n, 1 << 10);
        return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    public static int numShards() {
        return NUM_SHARDS;
    }

    /** The calling thread's shard among {@code shards} (a power of two). */
    public static int current(int shards) {
        return of(Thread.currentThread(), shards);
    }

    /** Thread {@code t}'s shard among {@code shards} (a power of two), for callers that hold the thread already. */
    @SuppressWarnings("deprecation") // Thread.getId(): threadId() needs JDK 19 and we compile for 17
    static int of(Thread t, int shards) {
        return (int) t.getId() & (shards - 1);
    }
}
