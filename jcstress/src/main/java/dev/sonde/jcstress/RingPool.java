package dev.sonde.jcstress;

import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * jcstress makes a state object per trial; a ring is a mapped file, too costly to make per trial. States take an
 * empty ring from here and give it back drained, so each trial starts with the consumer caught up.
 */
final class RingPool {
    private static final ConcurrentLinkedQueue<RingBuf> FREE = new ConcurrentLinkedQueue<>();
    private static final ConcurrentLinkedQueue<RingBuf> ALL = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger NAMES = new AtomicInteger();

    static {
        if (System.getProperty("sonde.dir") == null) {
            try {
                System.setProperty("sonde.dir", Files.createTempDirectory("sonde-jcstress").toString());
            } catch (java.io.IOException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (RingBuf rb : ALL) {
                rb.close();
            }
            deleteQuietly(java.nio.file.Paths.get(System.getProperty("sonde.dir")));
        }));
    }

    private RingPool() {
    }

    static RingBuf acquire() {
        RingBuf rb = FREE.poll();
        if (rb == null) {
            rb = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("jc" + NAMES.incrementAndGet())
                    .maxEntries(4096).build());
            ALL.add(rb);
        }
        return rb;
    }

    /** A producer's 8-byte record, committed with default flags: a wake-up if the consumer waits for it. */
    static void commitOne(RingBuf rb) {
        long h = rb.reserve(8);
        rb.putLong(h, 0, 1);
        rb.commit(h, 0);
    }

    /** Consumes what is left and returns the ring; the count consumed. */
    static int release(RingBuf rb) {
        int n = 0;
        try (RingBufConsumer c = RingBufConsumer.create(rb, rec -> 0)) {
            int got;
            while ((got = c.consume()) > 0) {
                n += got;
            }
        }
        FREE.add(rb);
        return n;
    }

    private static void deleteQuietly(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // best effort at JVM exit
        }
    }
}
