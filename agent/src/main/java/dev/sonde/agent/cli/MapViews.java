package dev.sonde.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Log2Histogram;
import dev.sonde.maps.MapType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The views bpftrace prints at exit: {@code map hist} (a log2 histogram array, bucket = key, summed over shards)
 * and {@code map top} (a count map sorted by count, keys decoded to method names or through a name table).
 */
final class MapViews {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private MapViews() {
    }

    @Command(name = "hist", description = "Print a latency map (array, bucket i = [2^(i-1), 2^i) ns) as bpftrace's hist().")
    static final class HistCmd extends MapCommand.Base {
        @Parameters(index = "0", paramLabel = "<pid>")
        String target;

        @Parameters(index = "1", arity = "0..1", paramLabel = "<map>")
        String map;

        @Override
        public Integer call() {
            String[] name = {map};
            MapTarget t = target(target, name, null);
            try (BpfMap m = t.open(name[0], false)) {
                if (m.type() != MapType.ARRAY && m.type() != MapType.PERCPU_ARRAY) {
                    throw new CliError(CliError.USAGE, "map '" + m.name() + "' is a " + m.type().bpftoolName()
                            + "; hist reads the array a latency program fills (one bucket per index)");
                }
                long[] counts = buckets(m);
                if (output.json()) {
                    ObjectNode o = F.objectNode();
                    o.put("map", m.name());
                    o.put("unit", "ns");
                    ArrayNode b = o.putArray("buckets");
                    for (int i = 0; i < counts.length; i++) {
                        if (counts[i] != 0) {
                            ObjectNode e = b.addObject();
                            e.put("min", Log2Histogram.lowerBound(i));
                            e.put("max", i + 1 < 64 ? Log2Histogram.lowerBound(i + 1) : Long.MAX_VALUE);
                            e.put("count", counts[i]);
                        }
                    }
                    output.printJson(out(), o);
                } else {
                    PrintWriter out = out();
                    Term term = Term.of(spec);
                    out.printf("%s%n%s", term.heading("@" + m.name() + " (ns):"), term.bars(Log2Histogram.format(counts)));
                    out.flush();
                }
                return 0;
            }
        }
    }

    /** Bucket i = element i's first u64, summed over every shard. */
    static long[] buckets(BpfMap m) {
        long[] counts = new long[Math.min(m.maxEntries(), Log2Histogram.BUCKETS)];
        byte[] key = new byte[4];
        byte[] value = new byte[m.valueBufferSize()];
        int slot = (m.valueSize() + 7) & ~7;
        ByteBuffer v = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < counts.length; i++) {
            ByteBuffer.wrap(key).order(ByteOrder.LITTLE_ENDIAN).putInt(0, i);
            if (m.lookup(key, value) == 0) {
                for (int s = 0; s < value.length / slot; s++) {
                    counts[i] += v.getLong(s * slot);
                }
            }
        }
        return counts;
    }

    @Command(name = "top", description = "Print a count map sorted by count, keys decoded to method names "
            + "(progs.json) or through a name table (--names).")
    static final class TopCmd extends MapCommand.Base {
        @Parameters(index = "0", paramLabel = "<pid>")
        String target;

        @Parameters(index = "1", arity = "0..1", paramLabel = "<map>")
        String map;

        @Option(names = "--names", paramLabel = "<map>", description = "A name table map (hash: key -> length, name) decoding the keys.")
        String names;

        @Option(names = {"-n", "--limit"}, description = "Rows to print (default ${DEFAULT-VALUE}).")
        int limit = 10;

        @Override
        public Integer call() {
            String[] name = {map};
            MapTarget t = target(target, name, null);
            Map<Long, String> labels = new HashMap<>();
            if (names != null) {
                try (BpfMap table = t.open(names, false)) {
                    labels.putAll(nameTable(table));
                }
            }
            try (BpfMap m = t.open(name[0], false)) {
                if (m.keySize() != 8 && m.keySize() != 4) {
                    throw new CliError(CliError.USAGE, "map '" + m.name() + "' has " + m.keySize()
                            + "-byte keys; top reads count maps keyed by a 4- or 8-byte integer");
                }
                if (names == null) {
                    labels.putAll(methodNames(t.mapsDir().getParent(), m.name()));
                }
                List<long[]> rows = new ArrayList<>();
                byte[] key = new byte[m.keySize()];
                byte[] value = new byte[m.valueBufferSize()];
                int slot = (m.valueSize() + 7) & ~7;
                byte[] prev = null;
                while (m.getNextKey(prev, key) == 0) {
                    if (m.lookup(key, value) == 0) {
                        ByteBuffer kb = ByteBuffer.wrap(key).order(ByteOrder.LITTLE_ENDIAN);
                        ByteBuffer vb = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
                        long k = key.length == 8 ? kb.getLong(0) : Integer.toUnsignedLong(kb.getInt(0));
                        long c = 0;
                        for (int s = 0; s < value.length / slot; s++) {
                            c += vb.getLong(s * slot);
                        }
                        if (c != 0) {
                            rows.add(new long[] {k, c});
                        }
                    }
                    prev = key.clone();
                }
                rows.sort((a, b) -> Long.compare(b[1], a[1]));
                List<long[]> shown = rows.subList(0, Math.min(limit, rows.size()));
                if (output.json()) {
                    ArrayNode arr = F.arrayNode();
                    for (long[] r : shown) {
                        ObjectNode o = arr.addObject();
                        o.put("key", r[0]);
                        o.put("name", labels.get(r[0]));
                        o.put("count", r[1]);
                    }
                    output.printJson(out(), arr);
                } else {
                    PrintWriter out = out();
                    out.println(Term.of(spec).heading("@" + m.name() + ":"));
                    for (long[] r : shown) {
                        String label = labels.getOrDefault(r[0], Long.toString(r[0]));
                        out.printf("  %-56s %10d%n", label, r[1]);
                    }
                    out.flush();
                }
                return 0;
            }
        }
    }

    /** Name table: key -> (u64 length, UTF-8 name), as the exceptions program writes it. */
    static Map<Long, String> nameTable(BpfMap table) {
        Map<Long, String> names = new HashMap<>();
        if (table.keySize() != 8 || table.valueSize() < 16) {
            throw new CliError(CliError.USAGE, "map '" + table.name() + "' is not a name table (8-byte keys, "
                    + "values of a length and a name)");
        }
        byte[] key = new byte[8];
        byte[] value = new byte[table.valueBufferSize()];
        byte[] prev = null;
        while (table.getNextKey(prev, key) == 0) {
            if (table.lookup(key, value) == 0) {
                ByteBuffer v = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
                int len = (int) Math.min(Math.max(0, v.getLong(0)), value.length - 8);
                names.put(ByteBuffer.wrap(key).order(ByteOrder.LITTLE_ENDIAN).getLong(0),
                        new String(value, 8, len, StandardCharsets.UTF_8));
            }
            prev = key.clone();
        }
        return names;
    }

    /**
     * Method ids to {@code Class.method}, from {@code progs.json} — only for a map that a program keys by method
     * (a {@code count} without {@code arg}); otherwise keys are argument values and stay numbers.
     */
    static Map<Long, String> methodNames(Path processDir, String mapName) {
        JsonNode root = progs(processDir);
        boolean keyedByMethod = false;
        for (JsonNode p : root.path("programs")) {
            boolean usesMap = false;
            for (JsonNode m : p.path("maps")) {
                usesMap |= mapName.equals(m.isTextual() ? m.asText() : m.path("name").asText());
            }
            keyedByMethod |= usesMap && "method".equals(p.path("keyedBy").asText());
        }
        return keyedByMethod ? methodTable(root) : new HashMap<>();
    }

    /** Every method id in {@code progs.json} to {@code Class.method}. */
    static Map<Long, String> methodTable(JsonNode progs) {
        Map<Long, String> names = new HashMap<>();
        for (JsonNode m : progs.path("methods")) {
            String cls = m.path("class").asText();
            names.put(m.path("id").asLong(), cls.substring(cls.lastIndexOf('.') + 1) + "." + m.path("method").asText());
        }
        return names;
    }

    /** The process's {@code progs.json}, or an empty tree when there is none (a JVM without the agent). */
    static JsonNode progs(Path processDir) {
        Path progs = processDir == null ? null : processDir.resolve("progs.json");
        if (progs == null || !Files.isRegularFile(progs)) {
            return JsonNodeFactory.instance.objectNode();
        }
        try {
            return new ObjectMapper().readTree(progs.toFile());
        } catch (IOException e) {
            System.err.println("sonde: ignoring unreadable " + progs + ": " + e.getMessage());
            return JsonNodeFactory.instance.objectNode();
        }
    }
}
