package dev.sonde.export;

import dev.sonde.maps.Errno;
import dev.sonde.maps.SondeException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Sonde's own settings ({@code sonde.*}): from the map handed to {@link SondeExporters#start(Map)} (agent
 * arguments), else the system property, else the environment variable ({@code sonde.metrics.interval} →
 * {@code SONDE_METRICS_INTERVAL}). OpenTelemetry's settings stay with the SDK's autoconfigure.
 */
final class SondeConfig {
    private final Map<String, String> given;

    SondeConfig(Map<String, String> given) {
        this.given = given;
    }

    String get(String key) {
        String v = given.get(key);
        if (v == null) {
            v = System.getProperty(key);
        }
        if (v == null) {
            v = System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_'));
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    String get(String key, String dflt) {
        String v = get(key);
        return v == null ? dflt : v;
    }

    /** A positive integer. */
    int integer(String key, int dflt) {
        String v = get(key);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new SondeException(Errno.EINVAL, key + "=" + v + " is not a positive integer; write e.g. " + dflt);
    }

    /** A duration: {@code 500ms}, {@code 10s}, {@code 2m}, or a bare number of milliseconds. */
    Duration duration(String key, Duration dflt) {
        String v = get(key);
        if (v == null) {
            return dflt;
        }
        try {
            String s = v.toLowerCase(Locale.ROOT);
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
            }
            if (s.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1).trim()));
            }
            if (s.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1).trim()));
            }
            return Duration.ofMillis(Long.parseLong(s));
        } catch (NumberFormatException e) {
            throw new SondeException(Errno.EINVAL, key + "=" + v + " is not a duration; write e.g. 500ms, 10s or 2m");
        }
    }

    <E extends Enum<E>> E choice(String key, Class<E> type, E dflt) {
        String v = get(key);
        if (v == null) {
            return dflt;
        }
        try {
            return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new SondeException(Errno.EINVAL, key + "=" + v + " is not one of "
                    + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT) + "; pick one of them");
        }
    }
}
