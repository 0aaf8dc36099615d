package dev.sonde.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A lean OTLP/HTTP traces receiver on loopback for the export benchmark: it accepts
 * {@code POST /v1/traces} (protobuf), counts the spans in each request by walking the protobuf wire format
 * (ExportTraceServiceRequest → resource_spans → scope_spans → spans) without building objects, and answers 200.
 * It keeps nothing, reuses one body buffer, and runs on the HTTP server's one dispatcher thread, so its own
 * allocation is small and can be told apart ({@link #allocatedBytes}) from the exporter's under test. A request
 * that does not parse is answered 400 and counted in {@link #rejected}.
 */
final class OtlpSpanCounter implements AutoCloseable {
    private static final int RESOURCE_SPANS = 1;
    private static final int SCOPE_SPANS = 2;
    private static final int SPANS = 2;

    private final HttpServer server;
    private final AtomicLong spans = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private byte[] body = new byte[1 << 20];
    private volatile Thread handlerThread;
    /** A producer parked until more spans arrive ({@link #awaitAtLeast}). */
    private volatile Thread waiter;

    OtlpSpanCounter() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/v1/traces", this::handle);
        server.start();
    }

    /** The traces endpoint, for {@code otel.exporter.otlp.traces.endpoint}. */
    String tracesEndpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces";
    }

    long spans() {
        return spans.get();
    }

    /**
     * Parks the calling thread (one at a time) until at least {@code n} spans were received; woken by the request
     * that gets there, so a flow-controlled producer costs one park per request, not a timed poll.
     */
    void awaitAtLeast(long n) {
        if (spans.get() >= n) {
            return;
        }
        waiter = Thread.currentThread();
        try {
            while (spans.get() < n) {
                LockSupport.parkNanos(this, 1_000_000L);
            }
        } finally {
            waiter = null;
        }
    }

    long requests() {
        return requests.get();
    }

    long rejected() {
        return rejected.get();
    }

    /** Bytes the receiver's thread allocated so far (0 before the first request). */
    long allocatedBytes() {
        Thread t = handlerThread;
        if (t == null) {
            return 0;
        }
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getThreadAllocatedBytes(
                t.getId());
    }

    private void handle(HttpExchange ex) throws IOException {
        handlerThread = Thread.currentThread();
        try {
            int n = readBody(ex.getRequestBody());
            long count = "POST".equals(ex.getRequestMethod()) ? countSpans(body, n) : -1;
            if (count < 0) {
                rejected.incrementAndGet();
                ex.sendResponseHeaders(400, -1);
                return;
            }
            spans.addAndGet(count);
            requests.incrementAndGet();
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
            // An empty ExportTraceServiceResponse: zero bytes of protobuf.
            ex.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            ex.sendResponseHeaders(200, -1);
        } finally {
            ex.close();
        }
    }

    private int readBody(InputStream in) throws IOException {
        int n = 0;
        for (int r; (r = in.read(body, n, body.length - n)) > 0; ) {
            n += r;
            if (n == body.length) {
                byte[] bigger = new byte[body.length * 2];
                System.arraycopy(body, 0, bigger, 0, n);
                body = bigger;
            }
        }
        return n;
    }

    /** Spans in an ExportTraceServiceRequest, or -1 when {@code b[0..n)} is not valid protobuf. */
    static long countSpans(byte[] b, int n) {
        return count(b, 0, n, 0);
    }

    /** depth 0: the request, 1: a ResourceSpans, 2: a ScopeSpans (whose field 2 entries are spans). */
    private static long count(byte[] b, int from, int to, int depth) {
        long total = 0;
        int p = from;
        while (p < to) {
            long tag = 0;
            int shift = 0;
            for (int c = 0x80; (c & 0x80) != 0; shift += 7) {
                if (p >= to || shift > 63) {
                    return -1;
                }
                c = b[p++];
                tag |= (long) (c & 0x7f) << shift;
            }
            int field = (int) (tag >>> 3);
            switch ((int) tag & 7) {
                case 0: // varint
                    while (true) {
                        if (p >= to) {
                            return -1;
                        }
                        if ((b[p++] & 0x80) == 0) {
                            break;
                        }
                    }
                    break;
                case 1:
                    p += 8;
                    break;
                case 5:
                    p += 4;
                    break;
                case 2: {
                    long len = 0;
                    shift = 0;
                    for (int c = 0x80; (c & 0x80) != 0; shift += 7) {
                        if (p >= to || shift > 35) {
                            return -1;
                        }
                        c = b[p++];
                        len |= (long) (c & 0x7f) << shift;
                    }
                    if (len > to - p) {
                        return -1;
                    }
                    int end = p + (int) len;
                    if (depth == 0 && field == RESOURCE_SPANS || depth == 1 && field == SCOPE_SPANS) {
                        long inner = count(b, p, end, depth + 1);
                        if (inner < 0) {
                            return -1;
                        }
                        total += inner;
                    } else if (depth == 2 && field == SPANS) {
                        total++;
                    }
                    p = end;
                    break;
                }
                default:
                    return -1;
            }
        }
        return p == to ? total : -1;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
