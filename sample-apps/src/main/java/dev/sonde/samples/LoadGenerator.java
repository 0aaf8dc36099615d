package dev.sonde.samples;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load for {@link OrderService} over loopback: a mix of health checks, inserts, reads and reports, for a bounded
 * time from a bounded number of threads. Usage: {@code LoadGenerator <port> [seconds] [threads]}.
 */
public final class LoadGenerator {
    private static final String[] ITEMS = {"widget", "gadget", "sprocket", "gizmo"};

    private final URI base;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong errors = new AtomicLong();

    public LoadGenerator(int port) {
        this.base = URI.create("http://127.0.0.1:" + port);
    }

    /** Sends requests from {@code threads} threads for {@code seconds}; returns the number sent. */
    public long run(int seconds, int threads) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = new Thread(() -> {
                while (System.nanoTime() < deadline) {
                    one();
                }
            }, "load-" + i);
            ts[i].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        return requests.get();
    }

    private void one() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int dice = r.nextInt(100);
        HttpRequest req;
        if (dice < 30) {
            req = HttpRequest.newBuilder(base.resolve("/health")).build();
        } else if (dice < 60) {
            String body = ITEMS[r.nextInt(ITEMS.length)] + "," + (1 + r.nextInt(5));
            req = HttpRequest.newBuilder(base.resolve("/orders")).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        } else if (dice < 95) {
            req = HttpRequest.newBuilder(base.resolve("/orders/" + (1 + r.nextInt(200)))).build();
        } else {
            req = HttpRequest.newBuilder(base.resolve("/report")).build();
        }
        try {
            HttpResponse<String> resp = client.send(req, HttpResponse.BodyHandlers.ofString());
            requests.incrementAndGet();
            if (resp.statusCode() >= 500) {
                errors.incrementAndGet();
            }
        } catch (Exception e) {
            errors.incrementAndGet();
        }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        LoadGenerator g = new LoadGenerator(port);
        long n = g.run(seconds, threads);
        System.out.println("load: " + n + " requests in " + seconds + " s, " + g.errors.get() + " errors");
    }
}
