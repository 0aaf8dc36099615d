package dev.sonde.export.otlp;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A real OTLP receiver for tests: an OTLP/HTTP (protobuf) server and an OTLP/gRPC server on loopback, both
 * decoding with the official {@code io.opentelemetry.proto} classes into one store. Tests point the SDK's real
 * exporters at {@link #httpEndpoint()} or {@link #grpcEndpoint()} and wait with {@link #awaitSpans} and friends.
 * It can be told to fail ({@link Mode#UNAVAILABLE}: HTTP 503, gRPC UNAVAILABLE, both retryable for OTLP) or to
 * stall ({@link Mode#STALL}: hold each request until {@link #mode} changes or the receiver closes), to test
 * back-off and back-pressure.
 */
public final class OtlpReceiver implements AutoCloseable {
    /** How the receiver answers. */
    public enum Mode { ACCEPT, UNAVAILABLE, STALL }

    private final List<ExportTraceServiceRequest> traceRequests = new ArrayList<>();
    private final List<ExportMetricsServiceRequest> metricRequests = new ArrayList<>();
    private final List<ExportLogsServiceRequest> logRequests = new ArrayList<>();
    private final AtomicInteger attempts = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private volatile Mode mode = Mode.ACCEPT;
    private volatile CountDownLatch stallGate = new CountDownLatch(1);
    private volatile OtlpHttpServer http;
    private volatile OtlpGrpcServer grpc;
    private final int httpPort;
    private final int grpcPort;
    private final Object lifecycle = new Object();
    private boolean stopped;

    private OtlpReceiver() throws IOException {
        http = new OtlpHttpServer(this, 0);
        grpc = new OtlpGrpcServer(this, 0);
        httpPort = http.port();
        grpcPort = grpc.port();
    }

    /** Starts both servers on 127.0.0.1 with ephemeral ports. */
    public static OtlpReceiver start() {
        try {
            return new OtlpReceiver();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the OTLP test receiver on loopback: " + e, e);
        }
    }

    /** {@code http://127.0.0.1:<port>}: the OTLP/HTTP base endpoint ({@code /v1/traces} etc. are appended by the SDK). */
    public String httpEndpoint() {
        return "http://127.0.0.1:" + httpPort;
    }

    /** {@code http://127.0.0.1:<port>}: the OTLP/gRPC endpoint. */
    public String grpcEndpoint() {
        return "http://127.0.0.1:" + grpcPort;
    }

    /**
     * Takes the backend down as a server going away politely does: new connections are refused, and requests
     * already being served finish and are answered first, so every request stored here was answered with success
     * (a request is never both stored and seen failed by its sender). What was received stays. {@link #restart}
     * brings it back on the same ports.
     */
    public void stop() {
        // Not this object's monitor: the requests being finished take it to store what they carry.
        synchronized (lifecycle) {
            if (stopped) {
                return;
            }
            stopped = true;
            mode(Mode.ACCEPT); // release stalled requests, or the stop would wait for them
            http.stop();
            grpc.stop();
        }
    }

    /** Serves again on the ports it had before {@link #stop}, keeping what was received. */
    public void restart() {
        synchronized (lifecycle) {
            if (!stopped) {
                return;
            }
            try {
                http = new OtlpHttpServer(this, httpPort);
                grpc = new OtlpGrpcServer(this, grpcPort);
            } catch (IOException e) {
                throw new IllegalStateException("cannot restart the OTLP test receiver on ports " + httpPort + " and "
                        + grpcPort + ": " + e, e);
            }
            stopped = false;
        }
    }

    /** Sets how later requests are answered; leaving {@link Mode#STALL} releases the requests it holds. */
    public void mode(Mode newMode) {
        Mode old = mode;
        if (old == Mode.STALL && newMode != Mode.STALL) {
            stallGate.countDown();
            stallGate = new CountDownLatch(1);
        }
        mode = newMode;
    }

    /** Export calls received, accepted or not. */
    public int attempts() {
        return attempts.get();
    }

    /** Export calls answered with a failure. */
    public int refused() {
        return refused.get();
    }

    /**
     * Called by both servers for each request: counts it, stalls or refuses per the mode. Returns true when the
     * request is to be stored and answered with success.
     */
    boolean admit() {
        attempts.incrementAndGet();
        Mode m = mode;
        if (m == Mode.STALL) {
            CountDownLatch gate = stallGate;
            try {
                // Bounded: a test that forgets to release must not hang the suite.
                gate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            m = mode;
        }
        if (m != Mode.ACCEPT) {
            refused.incrementAndGet();
            return false;
        }
        return true;
    }

    synchronized void add(ExportTraceServiceRequest r) {
        traceRequests.add(r);
        notifyAll();
    }

    synchronized void add(ExportMetricsServiceRequest r) {
        metricRequests.add(r);
        notifyAll();
    }

    synchronized void add(ExportLogsServiceRequest r) {
        logRequests.add(r);
        notifyAll();
    }

    public synchronized List<ExportTraceServiceRequest> traceRequests() {
        return new ArrayList<>(traceRequests);
    }

    public synchronized List<ExportMetricsServiceRequest> metricRequests() {
        return new ArrayList<>(metricRequests);
    }

    public synchronized List<ExportLogsServiceRequest> logRequests() {
        return new ArrayList<>(logRequests);
    }

    /** Every span received, in arrival order. */
    public synchronized List<Span> spans() {
        List<Span> out = new ArrayList<>();
        for (ExportTraceServiceRequest r : traceRequests) {
            for (ResourceSpans rs : r.getResourceSpansList()) {
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                    out.addAll(ss.getSpansList());
                }
            }
        }
        return out;
    }

    /** Every metric received, in arrival order (one per metric per export). */
    public synchronized List<Metric> metrics() {
        List<Metric> out = new ArrayList<>();
        for (ExportMetricsServiceRequest r : metricRequests) {
            for (ResourceMetrics rm : r.getResourceMetricsList()) {
                for (ScopeMetrics sm : rm.getScopeMetricsList()) {
                    out.addAll(sm.getMetricsList());
                }
            }
        }
        return out;
    }

    /** The metrics named {@code name}, in arrival order. */
    public List<Metric> metrics(String name) {
        List<Metric> out = new ArrayList<>();
        for (Metric m : metrics()) {
            if (m.getName().equals(name)) {
                out.add(m);
            }
        }
        return out;
    }

    /** Every log record received, in arrival order. */
    public synchronized List<LogRecord> logRecords() {
        List<LogRecord> out = new ArrayList<>();
        for (ExportLogsServiceRequest r : logRequests) {
            for (ResourceLogs rl : r.getResourceLogsList()) {
                for (ScopeLogs sl : rl.getScopeLogsList()) {
                    out.addAll(sl.getLogRecordsList());
                }
            }
        }
        return out;
    }

    /** Waits until at least {@code n} spans arrived; returns them all, or throws on timeout. */
    public List<Span> awaitSpans(int n, Duration timeout) {
        return await(() -> spans(), l -> l.size() >= n, timeout, n + " spans");
    }

    public List<LogRecord> awaitLogRecords(int n, Duration timeout) {
        return await(() -> logRecords(), l -> l.size() >= n, timeout, n + " log records");
    }

    /** Waits until a metric export satisfies {@code test}; returns all metrics received so far. */
    public List<Metric> awaitMetrics(Predicate<List<Metric>> test, Duration timeout) {
        return await(() -> metrics(), test, timeout, "the expected metrics");
    }

    public List<ExportMetricsServiceRequest> awaitMetricRequests(int n, Duration timeout) {
        return await(() -> metricRequests(), l -> l.size() >= n, timeout, n + " metric export requests");
    }

    private interface Snapshot<T> {
        T get();
    }

    private synchronized <T> T await(Snapshot<T> snap, Predicate<T> done, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (;;) {
            T t = snap.get();
            if (done.test(t)) {
                return t;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("OTLP receiver: timed out after " + timeout + " waiting for " + what
                        + "; got " + t);
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    @Override
    public void close() {
        synchronized (lifecycle) {
            mode(Mode.ACCEPT);
            if (!stopped) {
                stopped = true;
                http.close();
                grpc.close();
            }
        }
    }
}
