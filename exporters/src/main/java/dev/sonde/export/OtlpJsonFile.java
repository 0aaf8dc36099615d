package dev.sonde.export;

import dev.sonde.maps.Errno;
import dev.sonde.maps.SondeDir;
import dev.sonde.maps.SondeException;
import io.opentelemetry.exporter.internal.marshal.Marshaler;
import io.opentelemetry.exporter.internal.otlp.logs.LogsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.metrics.MetricsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.MemoryMode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collection;

/**
 * The file exporter ({@code sonde.export.file}): OTLP JSON lines as the OpenTelemetry file exporter writes them,
 * one {@code Export*ServiceRequest} per line, traces, metrics and logs in one file (a line's top-level key tells
 * which). The JSON comes from the SDK's own OTLP marshalers, so a line reads back with any OTLP JSON decoder. A
 * relative path lands under this JVM's Sonde directory; the file is created 0600 because records may hold
 * method arguments. Each line is encoded apart and appended whole under a lock, so signals never interleave.
 */
public final class OtlpJsonFile implements AutoCloseable {
    private final Path path;
    private final OutputStream out;
    private volatile boolean closed;

    private OtlpJsonFile(Path path, OutputStream out) {
        this.path = path;
        this.out = out;
    }

    /** Opens (appending) or creates {@code file} with mode 0600; a relative path is resolved under the Sonde directory. */
    public static OtlpJsonFile open(String file) {
        Path p = Path.of(file);
        if (!p.isAbsolute()) {
            p = SondeDir.processDir().resolve(p);
        }
        try {
            SondeDir.ensureDir(p.toAbsolutePath().getParent());
            if (!Files.exists(p)) {
                Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            return new OtlpJsonFile(p, Files.newOutputStream(p, StandardOpenOption.APPEND, StandardOpenOption.WRITE));
        } catch (IOException | UnsupportedOperationException e) {
            throw new SondeException(Errno.EPERM, "cannot open the export file " + p + ": " + e
                    + "; point sonde.export.file at a writable path", e);
        }
    }

    public Path path() {
        return path;
    }

    private CompletableResultCode write(Marshaler m) {
        if (closed) {
            return CompletableResultCode.ofFailure();
        }
        try {
            ByteArrayOutputStream line = new ByteArrayOutputStream(4096);
            m.writeJsonTo(line);
            line.write('\n');
            synchronized (this) {
                line.writeTo(out);
                out.flush();
            }
            return CompletableResultCode.ofSuccess();
        } catch (IOException e) {
            return CompletableResultCode.ofExceptionalFailure(e);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            try {
                out.close();
            } catch (IOException ignored) {
                // nothing left to report it to: the SDK has shut down
            }
        }
    }

    public SpanExporter spanExporter() {
        return new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                return write(TraceRequestMarshaler.create(spans));
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
    }

    public MetricExporter metricExporter() {
        return new MetricExporter() {
            @Override
            public CompletableResultCode export(Collection<MetricData> metrics) {
                return write(MetricsRequestMarshaler.create(metrics));
            }

            @Override
            public AggregationTemporality getAggregationTemporality(InstrumentType type) {
                return AggregationTemporality.CUMULATIVE;
            }

            @Override
            public MemoryMode getMemoryMode() {
                return MemoryMode.IMMUTABLE_DATA;
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
    }

    public LogRecordExporter logExporter() {
        return new LogRecordExporter() {
            @Override
            public CompletableResultCode export(Collection<LogRecordData> logs) {
                return write(LogsRequestMarshaler.create(logs));
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
    }
}
