package dev.sonde.export;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.common.CompletableResultCode;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether one signal's exports are getting through, said on stderr in one line when they start failing, at most
 * once a minute while they keep failing, and once when they work again. Without it a dead backend is silent: the
 * drops are counted, but nobody reads a counter that cannot be exported either.
 */
final class ExportHealth {
    private static final long REPEAT_NANOS = 60_000_000_000L;

    private final String signal;
    private final String target;
    private final AtomicLong failures = new AtomicLong();
    /** When the last line was printed; {@code Long.MIN_VALUE} while healthy. Guarded by this. */
    private long reportedAt = Long.MIN_VALUE;

    ExportHealth(String signal, String target) {
        this.signal = signal;
        this.target = target;
    }

    /** The health of {@code signal} (traces, metrics, logs) exported as the autoconfigure properties say. */
    static ExportHealth of(String signal, ConfigProperties props) {
        return new ExportHealth(signal, describe(signal, props));
    }

    /** Where {@code signal} goes: its OTLP endpoint, or the exporter's name when it is not OTLP. */
    static String describe(String signal, ConfigProperties props) {
        String exporter = props.getString("otel." + signal + ".exporter", "otlp");
        if (!exporter.contains("otlp")) {
            return "the '" + exporter + "' exporter";
        }
        String protocol = props.getString("otel.exporter.otlp." + signal + ".protocol",
                props.getString("otel.exporter.otlp.protocol", "http/protobuf"));
        String base = props.getString("otel.exporter.otlp.endpoint",
                protocol.equals("grpc") ? "http://localhost:4317" : "http://localhost:4318");
        return props.getString("otel.exporter.otlp." + signal + ".endpoint", base) + " (" + protocol + ")";
    }

    /** Reports how {@code r} ends, once it does; returns it. */
    CompletableResultCode watch(CompletableResultCode r) {
        r.whenComplete(() -> {
            if (r.isSuccess()) {
                succeeded();
            } else {
                failed();
            }
        });
        return r;
    }

    /** An export failed after the exporter's own retries. */
    void failed() {
        long n = failures.incrementAndGet();
        long now = System.nanoTime();
        String line;
        synchronized (this) {
            if (reportedAt == Long.MIN_VALUE) {
                line = "sonde: exporting " + signal + " to " + target + " failed; Sonde retries with back-off and counts "
                        + "what it drops in sonde.records.dropped{cause=export_failed}: check that the collector is up, "
                        + "or fix OTEL_EXPORTER_OTLP_" + signal.toUpperCase(Locale.ROOT) + "_ENDPOINT / "
                        + "OTEL_EXPORTER_OTLP_ENDPOINT";
            } else if (now - reportedAt >= REPEAT_NANOS) {
                line = "sonde: exporting " + signal + " to " + target + " still fails (" + n + " failed exports so far)";
            } else {
                return;
            }
            reportedAt = now;
        }
        System.err.println(line);
    }

    /** An export went through: says so once if it follows failures. */
    void succeeded() {
        synchronized (this) {
            if (reportedAt == Long.MIN_VALUE) {
                return;
            }
            reportedAt = Long.MIN_VALUE;
        }
        System.err.println("sonde: exporting " + signal + " to " + target + " works again after "
                + failures.getAndSet(0) + " failed exports");
    }
}
