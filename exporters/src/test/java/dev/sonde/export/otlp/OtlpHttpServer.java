package dev.sonde.export.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;

/** OTLP/HTTP with binary protobuf bodies: {@code POST /v1/traces}, {@code /v1/metrics}, {@code /v1/logs}. */
final class OtlpHttpServer {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "otlp-test-http");
        t.setDaemon(true);
        return t;
    });

    /** On {@code port}, 0 for an ephemeral one. */
    OtlpHttpServer(OtlpReceiver store, int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        server.createContext("/v1/traces", ex -> handle(ex, store, "traces"));
        server.createContext("/v1/metrics", ex -> handle(ex, store, "metrics"));
        server.createContext("/v1/logs", ex -> handle(ex, store, "logs"));
        server.setExecutor(executor);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void handle(HttpExchange ex, OtlpReceiver store, String signal) throws IOException {
        try (ex) {
            if (!"POST".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body;
            try (InputStream in = "gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))
                    ? new GZIPInputStream(ex.getRequestBody()) : ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            if (!store.admit()) {
                ex.sendResponseHeaders(503, -1);
                return;
            }
            MessageLite response;
            try {
                switch (signal) {
                    case "traces":
                        store.add(ExportTraceServiceRequest.parseFrom(body));
                        response = ExportTraceServiceResponse.getDefaultInstance();
                        break;
                    case "metrics":
                        store.add(ExportMetricsServiceRequest.parseFrom(body));
                        response = ExportMetricsServiceResponse.getDefaultInstance();
                        break;
                    default:
                        store.add(ExportLogsServiceRequest.parseFrom(body));
                        response = ExportLogsServiceResponse.getDefaultInstance();
                        break;
                }
            } catch (InvalidProtocolBufferException e) {
                ex.sendResponseHeaders(400, -1);
                return;
            }
            byte[] out = response.toByteArray();
            ex.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            ex.sendResponseHeaders(200, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(out);
                }
            }
        }
    }

    /** Refuses new connections, lets the exchanges in progress finish (up to 5 s), then closes. */
    void stop() {
        server.stop(5);
        executor.shutdownNow();
    }

    void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
