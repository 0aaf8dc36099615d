package dev.sonde.probes.load;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Errno;
import dev.sonde.maps.MapType;
import dev.sonde.maps.SondeException;
import dev.sonde.probes.builtin.Exceptions;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code exceptions} program's {@code dump} option, {@code {relay: <relay map>, lastSeconds: <N>,
 * minInterval: <duration>}}: every problem is one {@link SondeException} naming the fix, which the loader places at
 * the probe's line and column.
 */
final class DumpOption {
    private static final Set<String> KEYS = Set.of("relay", "lastSeconds", "minInterval");
    /** A day: a longer window is certainly a typo (a relay holds far less). */
    private static final double MAX_LAST_SECONDS = 86_400;
    private static final long DEFAULT_MIN_INTERVAL = TimeUnit.SECONDS.toNanos(30);
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    private static final String EXAMPLE = "write for example dump: {relay: flight, lastSeconds: 10, minInterval: 30s}";

    private DumpOption() {
    }

    /** Null when {@code n} is null (no dump asked for). */
    static Exceptions.Dump parse(JsonNode n, Function<String, BpfMap> maps) {
        if (n == null) {
            return null;
        }
        if (!n.isObject()) {
            throw bad("option dump must be a mapping; " + EXAMPLE);
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw bad("dump key '" + k + "' is unknown; valid keys: lastSeconds, minInterval, relay");
            }
        }
        JsonNode relay = n.get("relay");
        if (relay == null || !relay.isTextual() || relay.asText().isEmpty()) {
            throw bad("dump needs relay: (the name of a relay map declared under maps:); " + EXAMPLE);
        }
        BpfMap m = maps.apply(relay.asText()); // an undeclared name: the loader's usual "not declared" error
        if (m.type() != MapType.RELAY) {
            throw bad("dump relay '" + m.name() + "' is a " + m.type().bpftoolName() + " map; name a map of "
                    + "type: relay");
        }
        JsonNode last = n.get("lastSeconds");
        if (last == null || !last.isNumber() || !(last.asDouble() > 0) || last.asDouble() > MAX_LAST_SECONDS) {
            throw bad("dump lastSeconds: '" + (last == null ? "" : last.asText()) + "' must be a number of seconds "
                    + "above 0 and at most " + (long) MAX_LAST_SECONDS + "; " + EXAMPLE);
        }
        long lastNanos = (long) (last.asDouble() * 1e9);
        return new Exceptions.Dump(m, lastNanos, minInterval(n.get("minInterval")));
    }

    /** {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h}, or a number of seconds; 0 means no limit. */
    private static long minInterval(JsonNode n) {
        if (n == null) {
            return DEFAULT_MIN_INTERVAL;
        }
        if (n.isNumber() && n.asDouble() >= 0) {
            return (long) (n.asDouble() * 1e9);
        }
        Matcher m = DURATION.matcher(n.asText().trim());
        if (!n.isTextual() || !m.matches()) {
            throw bad("dump minInterval: '" + n.asText() + "' is not a duration; write for example 30s, 500ms, 2m "
                    + "or 0 (no limit)");
        }
        double v = Double.parseDouble(m.group(1));
        long unit = switch (m.group(2)) {
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 3_600_000_000_000L;
        };
        return (long) (v * unit);
    }

    private static SondeException bad(String msg) {
        return new SondeException(Errno.EINVAL, msg);
    }
}
