package dev.sonde.agent.cli;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapType;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import java.io.PrintWriter;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sonde.probes.builtin.SpanLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Map;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code sonde ringbuf tail <pid> <map>}: consume a ring from outside the JVM, one line per record. A ring has one
 * consumer, as the kernel's: tailing takes the records, so tail a ring no exporter drains (bpftool's
 * {@code map event_pipe} consumes perf buffers the same way).
 */
@Command(name = "ringbuf", description = "Follow a ringbuf from outside the JVM.", subcommands = RingbufCommand.TailCmd.class)
final class RingbufCommand {
    private RingbufCommand() {
    }

    @Command(name = "tail", description = "Consume and print a ring's records, one line each (text as text, else hex).")
    static final class TailCmd implements Callable<Integer> {
        @Mixin
        OutputOptions output;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "<pid>")
        String target;

        @Parameters(index = "1", arity = "0..1", paramLabel = "<map>")
        String map;

        @Option(names = "--dir", description = "A <sonde dir>/<pid> directory instead of a pid.")
        Path dir;

        @Option(names = {"-n", "--count"}, paramLabel = "<n>", description = "Stop after n records.")
        long count = Long.MAX_VALUE;

        @Option(names = "--timeout", paramLabel = "<ms>", description = "Stop after this long without a record.")
        long timeoutMs = Long.MAX_VALUE;

        @Override
        public Integer call() {
            String name = dir != null && map == null ? target : map;
            MapTarget t = MapTarget.resolve(dir == null ? target : null, dir);
            PrintWriter out = spec.commandLine().getOut();
            long[] seen = {0};
            try (BpfMap m = t.open(name, false)) {
                if (m.type() != MapType.RINGBUF) {
                    throw new CliError(CliError.USAGE, "map '" + m.name() + "' is a " + m.type().bpftoolName()
                            + ", not a ringbuf; use `sonde map dump` or `sonde relay cat`");
                }
                JsonNode progs = MapViews.progs(t.mapsDir().getParent());
                boolean spans = fedBySpan(progs, m.name());
                Map<Long, String> methods = MapViews.methodTable(progs);
                try (RingBufConsumer c = RingBufConsumer.create((RingBuf) m, rec -> {
                    out.println(spans && (rec.remaining() == SpanLayout.SIZE || rec.remaining() == SpanLayout.SIZE_V1) ? span(rec, methods) : line(rec));
                    return ++seen[0] >= count ? -1 : 0;
                })) {
                    long idleSince = System.nanoTime();
                    while (seen[0] < count) {
                        int n = c.poll(100);
                        out.flush();
                        if (n < 0) {
                            break;
                        }
                        if (n > 0) {
                            idleSince = System.nanoTime();
                        } else if (timeoutMs != Long.MAX_VALUE && System.nanoTime() - idleSince > timeoutMs * 1_000_000L) {
                            break;
                        }
                    }
                }
                out.flush();
                RingBuf ring = (RingBuf) m;
                if (ring.droppedRecords() > 0) {
                    System.err.printf("sonde: %d records were dropped (ring full) by the producers%n", ring.droppedRecords());
                }
                return 0;
            }
        }
    }

    /** Whether a {@code span} program writes into this ring (its records are then {@link SpanLayout}s). */
    static boolean fedBySpan(JsonNode progs, String ring) {
        for (JsonNode p : progs.path("programs")) {
            for (JsonNode m : p.path("maps")) {
                if (ring.equals(m.asText()) && "span".equals(p.path("type").asText())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** One span record: {@code <start> <Class.method> tid=<tid> <duration> [threw <hash>] [trace <app trace id>]}. */
    static String span(ByteBuffer rec, Map<Long, String> methods) {
        ByteBuffer b = rec.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int at = b.position();
        long method = b.getLong(at + SpanLayout.METHOD_OFFSET);
        long start = b.getLong(at + SpanLayout.START_OFFSET);
        long dur = b.getLong(at + SpanLayout.DURATION_OFFSET);
        boolean threw = (b.getInt(at + SpanLayout.FLAGS_OFFSET) & SpanLayout.THREW) != 0;
        boolean v2 = b.remaining() == SpanLayout.SIZE;
        long hi = v2 ? b.getLong(at + SpanLayout.APP_TRACE_HI_OFFSET) : 0;
        long lo = v2 ? b.getLong(at + SpanLayout.APP_TRACE_LO_OFFSET) : 0;
        return String.format("%s  %-28s tid=%-4d %10.3f ms%s%s", Instant.ofEpochSecond(0, start),
                methods.getOrDefault(method, "method#" + method), b.getLong(at + SpanLayout.THREAD_OFFSET),
                dur / 1e6, threw ? String.format("  threw 0x%016x", b.getLong(at + SpanLayout.VALUE_OFFSET)) : "",
                (hi | lo) != 0 ? String.format("  trace %016x%016x", hi, lo) : "");
    }

    /** Printable UTF-8/ASCII text as itself, anything else as hex bytes. */
    static String line(ByteBuffer rec) {
        byte[] b = new byte[rec.remaining()];
        rec.duplicate().get(b);
        boolean text = b.length > 0;
        for (byte x : b) {
            if ((x < 0x20 && x != '\t' && x != '\n' && x != '\r') || x == 0x7f) {
                text = false;
                break;
            }
        }
        if (text) {
            String s = new String(b, java.nio.charset.StandardCharsets.UTF_8);
            return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        }
        return b.length + " bytes: " + ValueFormatter.hex(b, 0, b.length);
    }
}
