package dev.sonde.export.otlp;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** OTLP/gRPC: the three collector services generated in {@code opentelemetry-proto}, served by grpc-java on loopback. */
final class OtlpGrpcServer {
    private final Server server;

    /** On {@code port}, 0 for an ephemeral one. */
    OtlpGrpcServer(OtlpReceiver store, int port) throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .addService(new TraceServiceGrpc.TraceServiceImplBase() {
                    @Override
                    public void export(ExportTraceServiceRequest req, StreamObserver<ExportTraceServiceResponse> out) {
                        if (admit(store, out)) {
                            store.add(req);
                            out.onNext(ExportTraceServiceResponse.getDefaultInstance());
                            out.onCompleted();
                        }
                    }
                })
                .addService(new MetricsServiceGrpc.MetricsServiceImplBase() {
                    @Override
                    public void export(ExportMetricsServiceRequest req, StreamObserver<ExportMetricsServiceResponse> out) {
                        if (admit(store, out)) {
                            store.add(req);
                            out.onNext(ExportMetricsServiceResponse.getDefaultInstance());
                            out.onCompleted();
                        }
                    }
                })
                .addService(new LogsServiceGrpc.LogsServiceImplBase() {
                    @Override
                    public void export(ExportLogsServiceRequest req, StreamObserver<ExportLogsServiceResponse> out) {
                        if (admit(store, out)) {
                            store.add(req);
                            out.onNext(ExportLogsServiceResponse.getDefaultInstance());
                            out.onCompleted();
                        }
                    }
                })
                .build()
                .start();
    }

    private static boolean admit(OtlpReceiver store, StreamObserver<?> out) {
        if (store.admit()) {
            return true;
        }
        out.onError(Status.UNAVAILABLE.withDescription("test receiver told to fail").asRuntimeException());
        return false;
    }

    int port() {
        return server.getPort();
    }

    /** Refuses new calls, lets the calls already in progress finish and answer, then closes. */
    void stop() {
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
