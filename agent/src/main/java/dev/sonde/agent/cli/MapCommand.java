package dev.sonde.agent.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Errno;
import dev.sonde.maps.MapType;
import dev.sonde.maps.SondeException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sonde map list|show|dump|lookup|update|delete|getnext|pin}: bpftool map for a JVM's maps, live or dead. */
@Command(name = "map", description = "Inspect and edit a JVM's maps (live, or the files of a JVM that died).",
        subcommands = {MapCommand.ListCmd.class, MapCommand.DumpCmd.class, MapCommand.LookupCmd.class,
                MapCommand.UpdateCmd.class, MapCommand.DeleteCmd.class, MapCommand.PinCmd.class,
                MapViews.HistCmd.class, MapViews.TopCmd.class})
final class MapCommand {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final List<String> STOPS = Arrays.asList("key", "value", "any", "noexist", "exist");

    /** Options every map subcommand shares. */
    abstract static class Base implements Callable<Integer> {
        @Mixin
        OutputOptions output;

        @Option(names = "--dir", description = "Read the map files in this directory instead of a pid's.")
        Path dir;

        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        /**
         * With {@code --dir} there is no pid, so the first positional word is the map: returns the target and
         * shifts {@code words} so every command reads its arguments the same way.
         */
        MapTarget target(String target, String[] map, List<String> words) {
            if (dir == null) {
                return MapTarget.resolve(target, null);
            }
            if (map[0] != null && words != null) {
                words.add(0, map[0]);
            }
            map[0] = target;
            return MapTarget.resolve(null, dir);
        }
    }

    /** The element commands: {@code <pid> <map> key <bytes> ...}, with {@code --dir} shifting the words. */
    abstract static class ElementBase extends Base {
        @Parameters(index = "0", paramLabel = "<pid>")
        String target;

        @Parameters(index = "1", arity = "0..1", paramLabel = "<map>")
        String map;

        @Parameters(index = "2..*", paramLabel = "key <bytes> [value <bytes>] [any|noexist|exist]")
        List<String> words = new ArrayList<>();

        BpfMap openMap(boolean writable) {
            String[] name = {map};
            return target(target, name, words).open(name[0], writable);
        }

        byte[] key(BpfMap m) {
            return ByteArgs.parse(words, "key", m.keySize(), STOPS);
        }
    }

    @Command(name = "list", aliases = "show", description = "List the maps: id, type, name, sizes, entries, memory, flags.")
    static final class ListCmd extends Base {
        @Parameters(index = "0", arity = "0..1", paramLabel = "<pid>")
        String target;

        @Override
        public Integer call() {
            MapTarget t = MapTarget.resolve(target, dir);
            ArrayNode arr = F.arrayNode();
            PrintWriter out = out();
            for (Path p : t.mapFiles()) {
                BpfMap m;
                try {
                    m = dev.sonde.maps.Maps.open(p);
                } catch (SondeException e) {
                    System.err.println("sonde: skipping " + p.getFileName() + ": " + e.getMessage());
                    continue;
                }
                try (m) {
                    if (output.json()) {
                        arr.add(info(m));
                    } else {
                        out.printf("%d: %s  name %s  flags 0x%x%n", m.id(), m.type().bpftoolName(), m.name(), m.flags());
                        out.printf("\tkey %dB  value %dB  max_entries %d  memlock %dB%n", m.keySize(), m.valueSize(),
                                m.maxEntries(), m.memoryBytes());
                    }
                }
            }
            if (output.json()) {
                output.printJson(out, arr);
            }
            out.flush();
            return 0;
        }
    }

    static ObjectNode info(BpfMap m) {
        ObjectNode o = F.objectNode();
        o.put("id", m.id());
        o.put("type", m.type().bpftoolName());
        o.put("name", m.name());
        o.put("flags", m.flags());
        o.put("bytes_key", m.keySize());
        o.put("bytes_value", m.valueSize());
        o.put("max_entries", m.maxEntries());
        o.put("bytes_memlock", m.memoryBytes());
        o.put("map_extra", m.mapExtra());
        o.put("path", m.path().toString());
        return o;
    }

    @Command(name = "dump", description = "Print every key and value, typed through the map's schema.")
    static final class DumpCmd extends Base {
        @Parameters(index = "0", paramLabel = "<pid>", description = "The JVM's pid (or use --dir).")
        String target;

        @Parameters(index = "1", arity = "0..1", paramLabel = "<map>", description = "The map's name or id.")
        String map;

        @Override
        public Integer call() {
            String[] name = {map};
            MapTarget t = target(target, name, null);
            try (BpfMap m = t.open(name[0], false)) {
                if (m.type() == MapType.RINGBUF || m.type() == MapType.RELAY) {
                    throw new CliError(CliError.USAGE, "map '" + m.name() + "' is a " + m.type().bpftoolName()
                            + ": it has no keys; read it with `sonde " + (m.type() == MapType.RINGBUF ? "ringbuf tail" : "relay cat") + "`");
                }
                ValueFormatter fmt = ValueFormatter.forMap(m);
                byte[] key = new byte[m.keySize()];
                byte[] value = new byte[m.valueBufferSize()];
                ArrayNode arr = F.arrayNode();
                PrintWriter out = out();
                int n = 0;
                byte[] prev = null;
                while (m.getNextKey(prev, key) == 0) {
                    if (m.lookup(key, value) == 0) {
                        if (output.json()) {
                            arr.add(entry(m, fmt, key, value));
                        } else {
                            printEntry(out, m, fmt, key, value);
                        }
                        n++;
                    }
                    prev = key.clone();
                }
                if (output.json()) {
                    output.printJson(out, arr);
                } else {
                    out.printf("Found %d element%s%n", n, n == 1 ? "" : "s");
                }
                out.flush();
                return 0;
            }
        }
    }

    static ObjectNode entry(BpfMap m, ValueFormatter fmt, byte[] key, byte[] value) {
        ObjectNode o = F.objectNode();
        o.set("key", ValueFormatter.hexArray(key, 0, key.length));
        ObjectNode formatted = F.objectNode();
        formatted.set("key", fmt.key(key));
        if (m.type().perShard()) {
            int slot = (m.valueSize() + 7) & ~7;
            ArrayNode values = F.arrayNode();
            ArrayNode fvalues = F.arrayNode();
            for (int s = 0; s < value.length / slot; s++) {
                ObjectNode v = F.objectNode();
                v.put("shard", s);
                v.set("value", ValueFormatter.hexArray(value, s * slot, m.valueSize()));
                values.add(v);
                ObjectNode fv = F.objectNode();
                fv.put("shard", s);
                fv.set("value", fmt.value(value, s * slot, m.valueSize()));
                fvalues.add(fv);
            }
            o.set("values", values);
            formatted.set("values", fvalues);
        } else {
            o.set("value", ValueFormatter.hexArray(value, 0, value.length));
            formatted.set("value", fmt.value(value, 0, value.length));
        }
        o.set("formatted", formatted);
        return o;
    }

    static void printEntry(PrintWriter out, BpfMap m, ValueFormatter fmt, byte[] key, byte[] value) {
        List<String> hists = fmt.histogramNames();
        if (m.type().perShard()) {
            int slot = (m.valueSize() + 7) & ~7;
            int shards = value.length / slot;
            if (!hists.isEmpty()) {
                out.printf("key: %s%n", fmt.key(key));
                for (String h : hists) {
                    out.printf("@%s (all shards):%n%s", h, ValueFormatter.histogramText(fmt.histogram(h, value, slot, shards)));
                }
                return;
            }
            out.printf("key: %s%n", fmt.key(key));
            for (int s = 0; s < shards; s++) {
                out.printf("\tvalue (shard %02d): %s%n", s, fmt.value(value, s * slot, m.valueSize()));
            }
            return;
        }
        out.printf("key: %s  value: %s%n", fmt.key(key), fmt.value(value, 0, value.length));
        for (String h : hists) {
            out.print(ValueFormatter.histogramText(fmt.histogram(h, value, value.length, 1)));
        }
    }

    @Command(name = "lookup", description = "Print one element: sonde map lookup <pid> <map> key <bytes>.")
    static final class LookupCmd extends ElementBase {
        @Override
        public Integer call() {
            try (BpfMap m = openMap(false)) {
                byte[] key = key(m);
                byte[] value = new byte[m.valueBufferSize()];
                int rc = m.lookup(key, value);
                check(rc, m, "lookup");
                ValueFormatter fmt = ValueFormatter.forMap(m);
                if (output.json()) {
                    output.printJson(out(), entry(m, fmt, key, value));
                } else {
                    printEntry(out(), m, fmt, key, value);
                    out().flush();
                }
                return 0;
            }
        }
    }

    @Command(name = "update", description = "Write one element: sonde map update <pid> <map> key <bytes> value <bytes> [any|noexist|exist].")
    static final class UpdateCmd extends ElementBase {
        @Override
        public Integer call() {
            try (BpfMap m = openMap(true)) {
                byte[] key = key(m);
                byte[] value = ByteArgs.parse(words, "value", m.valueBufferSize(), STOPS);
                long flags = words.contains("noexist") ? BpfMap.NOEXIST : words.contains("exist") ? BpfMap.EXIST : BpfMap.ANY;
                check(m.update(key, value, flags), m, "update");
                return 0;
            }
        }
    }

    @Command(name = "delete", description = "Delete one element: sonde map delete <pid> <map> key <bytes>.")
    static final class DeleteCmd extends ElementBase {
        @Override
        public Integer call() {
            try (BpfMap m = openMap(true)) {
                check(m.delete(key(m)), m, "delete");
                return 0;
            }
        }
    }

    @Command(name = "pin", description = "Keep a map's data at a path of your choice (a hard link to its file).")
    static final class PinCmd extends Base {
        @Parameters(index = "0", paramLabel = "<pid>")
        String target;

        @Parameters(index = "1", arity = "0..1", paramLabel = "<map>")
        String map;

        @Parameters(index = "2", arity = "0..1", paramLabel = "<path>")
        String path;

        @Override
        public Integer call() {
            List<String> rest = new ArrayList<>();
            if (path != null) {
                rest.add(path);
            }
            String[] name = {map};
            MapTarget t = target(target, name, rest);
            if (rest.isEmpty()) {
                throw new CliError(CliError.USAGE, "missing <path>: sonde map pin <pid> <map> <path>");
            }
            String path = rest.get(rest.size() - 1);
            try (BpfMap m = t.open(name[0], false)) {
                Path to = Paths.get(path).toAbsolutePath();
                try {
                    java.nio.file.Files.createLink(to, m.path());
                    Path meta = dev.sonde.maps.MapMetadata.metadataPath(m.path());
                    if (java.nio.file.Files.exists(meta)) {
                        java.nio.file.Files.copy(meta, dev.sonde.maps.MapMetadata.metadataPath(to));
                    }
                } catch (java.io.IOException e) {
                    throw new CliError(CliError.FAILED, "cannot pin '" + m.name() + "' at " + to + ": " + e
                            + "; pick a new path on the same file system as the Sonde directory", e);
                }
                out().println("pinned " + m.name() + " at " + to);
                out().flush();
                return 0;
            }
        }
    }

    static void check(int rc, BpfMap m, String op) {
        if (rc == 0) {
            return;
        }
        String why;
        switch (-rc) {
            case Errno.ENOENT: why = "no such key"; break;
            case Errno.EEXIST: why = "the key exists (noexist given)"; break;
            case Errno.E2BIG: why = "the map is full or the index is past max_entries " + m.maxEntries(); break;
            case Errno.EPERM: why = "the map is read-only here"; break;
            case Errno.EINVAL: why = "the operation is not valid for a " + m.type().bpftoolName() + " map"; break;
            default: why = "the map refused it";
        }
        throw new CliError(rc == -Errno.ENOENT ? CliError.NOT_FOUND : CliError.FAILED,
                op + " on map '" + m.name() + "' failed: " + Errno.name(rc) + " (" + why + ")");
    }
}
