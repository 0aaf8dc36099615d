package dev.sonde.agent.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapType;
import dev.sonde.maps.RelayMap;
import dev.sonde.maps.RelayReader;
import dev.sonde.maps.RelayRecord;
import dev.sonde.maps.SondeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code sonde relay cat|snapshot|recover}: read a relay's shard files merged in time order, from a live JVM, a
 * snapshot, or the files a dead JVM left. Losses (records overwritten, refused, half-written at a crash) are
 * reported on stderr, never silently dropped.
 */
@Command(name = "relay", description = "Read relay (flight recorder) files: live, snapshots, or left by a dead JVM.",
        subcommands = {RelayCommand.CatCmd.class, RelayCommand.SnapshotCmd.class, RelayCommand.RecoverCmd.class})
final class RelayCommand {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private RelayCommand() {
    }

    /** Where the shard files are and their base name. */
    static final class Source {
        final Path dir;
        final String base;

        Source(Path dir, String base) {
            this.dir = dir;
            this.base = base;
        }
    }

    /**
     * A pid (or a {@code <sonde dir>/<pid>} directory): the relay map's control file gives the base name, the
     * shards are in {@code relay/}. Any other directory: a folder of {@code <map>#<n>} files (a snapshot, a copy).
     */
    static Source source(String target, String map) {
        Path procDir = null;
        if (target.chars().allMatch(Character::isDigit)) {
            procDir = MapTarget.resolve(target, null).mapsDir().getParent();
        } else if (Files.isDirectory(Paths.get(target).resolve("maps")) && Files.isDirectory(Paths.get(target).resolve("relay"))) {
            procDir = Paths.get(target).toAbsolutePath();
        }
        if (procDir == null) {
            Path dir = Paths.get(target).toAbsolutePath();
            if (!Files.isDirectory(dir)) {
                throw new CliError(CliError.NOT_FOUND, "no such directory " + target + "; give a pid, a <sonde dir>/<pid> "
                        + "directory, or a folder of <map>#<n> relay files");
            }
            return new Source(dir, map);
        }
        try (BpfMap m = MapTarget.openFile(procDir.resolve("maps").resolve(map), false)) {
            if (m.type() != MapType.RELAY) {
                throw new CliError(CliError.USAGE, "map '" + map + "' is a " + m.type().bpftoolName()
                        + ", not a relay; use `sonde map dump`");
            }
            return new Source(procDir.resolve("relay"), ((RelayMap) m).baseName());
        } catch (CliError e) {
            if (Files.isRegularFile(procDir.resolve("maps").resolve(map))) {
                throw e;
            }
            // No control file (copied shards only): read the files by the name given.
            return new Source(procDir.resolve("relay"), map);
        }
    }

    static RelayReader.Result read(Source s) {
        try {
            return RelayReader.readAll(s.dir, s.base);
        } catch (SondeException e) {
            throw new CliError(CliError.NOT_FOUND, e.getMessage(), e);
        }
    }

    static void printLosses(RelayReader.Result r) {
        if (r.overwritten() + r.dropped() + r.skipped() + r.corruptSubbufs() + r.leftOut() > 0) {
            System.err.printf("sonde: %d sub-buffers overwritten, %d writes refused (full), %d half-written records "
                            + "skipped, %d damaged sub-buffers skipped, %d left out of a snapshot%n",
                    r.overwritten(), r.dropped(), r.skipped(), r.corruptSubbufs(), r.leftOut());
        }
    }

    static ObjectNode json(RelayRecord rec) {
        ObjectNode o = F.objectNode();
        o.put("shard", rec.shard());
        o.put("timestamp", rec.timestamp());
        o.put("epoch_nanos", rec.epochNanos());
        o.put("text", rec.text());
        return o;
    }

    static void print(PrintWriter out, RelayRecord rec, boolean verbose) {
        String text = rec.text();
        if (verbose) {
            out.printf("[%s #%d] ", Instant.ofEpochSecond(0, rec.epochNanos()), rec.shard());
        }
        out.print(text);
        if (!text.endsWith("\n")) {
            out.println();
        }
    }

    @Command(name = "cat", description = "Print a relay's records, oldest first, all shards merged in time order.")
    static final class CatCmd implements Callable<Integer> {
        @Mixin
        OutputOptions output;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "<pid|dir>")
        String target;

        @Parameters(index = "1", paramLabel = "<map>")
        String map;

        @Option(names = {"-v", "--verbose"}, description = "Prefix each record with its time and shard.")
        boolean verbose;

        @Option(names = {"-f", "--follow"}, description = "Keep printing new records, as tail -f (Ctrl-C stops).")
        boolean follow;

        @Option(names = "--follow-for", paramLabel = "<ms>", hidden = true, description = "Stop following after this long (tests).")
        long followFor = Long.MAX_VALUE;

        @Override
        public Integer call() throws InterruptedException {
            Source s = source(target, map);
            PrintWriter out = spec.commandLine().getOut();
            RelayReader.Result r = read(s);
            if (output.json() && !follow) {
                ArrayNode arr = F.arrayNode();
                for (RelayRecord rec : r.records()) {
                    arr.add(json(rec));
                }
                output.printJson(out, arr);
                printLosses(r);
                return 0;
            }
            long last = Long.MIN_VALUE;
            for (RelayRecord rec : r.records()) {
                print(out, rec, verbose);
                last = Math.max(last, rec.epochNanos());
            }
            out.flush();
            printLosses(r);
            long deadline = followFor == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + followFor * 1_000_000L;
            while (follow && System.nanoTime() < deadline) {
                Thread.sleep(200);
                long newest = last;
                for (RelayRecord rec : read(s).records()) {
                    if (rec.epochNanos() > last) {
                        print(out, rec, verbose);
                        newest = Math.max(newest, rec.epochNanos());
                    }
                }
                last = newest;
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "snapshot", description = "Copy a consistent image of every shard (each sub-buffer whole or left "
            + "out) while the JVM keeps writing.")
    static final class SnapshotCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        OutputOptions output;

        @Parameters(index = "0", paramLabel = "<pid>")
        String target;

        @Parameters(index = "1", paramLabel = "<map>")
        String map;

        @Option(names = {"-o", "--out"}, required = true, paramLabel = "<dir>", description = "Directory for the copy (created, 0700).")
        Path out;

        @Override
        public Integer call() {
            Path procDir = MapTarget.resolve(target, null).mapsDir().getParent();
            try (BpfMap m = MapTarget.openFile(procDir.resolve("maps").resolve(map), false)) {
                if (m.type() != MapType.RELAY) {
                    throw new CliError(CliError.USAGE, "map '" + map + "' is a " + m.type().bpftoolName() + ", not a relay");
                }
                RelayMap relay = (RelayMap) m;
                PrintWriter o = spec.commandLine().getOut();
                Term term = Term.of(spec);
                long start = System.nanoTime();
                long[] total = new long[1];
                term.step("snapshotting " + relay.baseName() + " (" + relay.numFiles() + " files) to " + out + " ...");
                relay.snapshot(out.toAbsolutePath(), (file, shard) -> {
                    long size = file.toFile().length();
                    total[0] += size;
                    term.step("file " + (shard + 1) + "/" + relay.numFiles() + " copied: " + file.getFileName() + ", "
                            + Term.bytes(size));
                });
                RelayReader.Result r = RelayReader.readAll(out.toAbsolutePath(), relay.baseName());
                term.step("done in " + Term.elapsed(start) + ": " + Term.bytes(total[0]));
                if (output.json()) {
                    ObjectNode j = F.objectNode();
                    j.put("relay", relay.baseName());
                    j.put("dir", out.toAbsolutePath().toString());
                    j.put("shards", relay.numShards());
                    j.put("files", relay.numFiles());
                    j.put("bytes", total[0]);
                    j.put("records", r.records().size());
                    j.put("left_out_subbufs", r.leftOut());
                    output.printJson(o, j);
                } else {
                    o.printf("%s: %d files, %d records; read them with `sonde relay cat %s %s`%n", out,
                            relay.numFiles(), r.records().size(), out, relay.baseName());
                }
                o.flush();
                printLosses(r);
                return 0;
            } catch (SondeException e) {
                throw new CliError(CliError.FAILED, e.getMessage(), e);
            }
        }
    }

    @Command(name = "recover", description = "List the relays a dead JVM left in a directory, with what is readable.")
    static final class RecoverCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        OutputOptions output;

        @Parameters(index = "0", paramLabel = "<dir>", description = "A <sonde dir>/<pid> directory, its relay/ folder, or a snapshot.")
        Path dir;

        @Override
        public Integer call() throws IOException {
            Path d = dir.toAbsolutePath();
            if (Files.isDirectory(d.resolve("relay"))) {
                d = d.resolve("relay");
            }
            if (!Files.isDirectory(d)) {
                throw new CliError(CliError.NOT_FOUND, "no such directory " + dir + "; give the dead JVM's <sonde dir>/<pid>");
            }
            TreeSet<String> bases = new TreeSet<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, "*#*")) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    bases.add(n.substring(0, n.lastIndexOf('#')));
                }
            }
            if (bases.isEmpty()) {
                throw new CliError(CliError.NOT_FOUND, "no relay files (<map>#<n>) in " + d);
            }
            PrintWriter out = spec.commandLine().getOut();
            ArrayNode arr = F.arrayNode();
            for (String base : bases) {
                RelayReader.Result r = read(new Source(d, base));
                List<RelayRecord> recs = r.records();
                ObjectNode o = arr.addObject();
                o.put("relay", base);
                o.put("records", recs.size());
                o.put("skipped_half_written", r.skipped());
                o.put("damaged_subbufs", r.corruptSubbufs());
                o.put("overwritten_subbufs", r.overwritten());
                o.put("refused_writes", r.dropped());
                if (!recs.isEmpty()) {
                    o.put("first", Instant.ofEpochSecond(0, recs.get(0).epochNanos()).toString());
                    o.put("last", Instant.ofEpochSecond(0, recs.get(recs.size() - 1).epochNanos()).toString());
                }
                if (!output.json()) {
                    out.printf("%s: %d records%s, %d half-written skipped, %d damaged sub-buffers, %d overwritten, %d refused%n",
                            base, recs.size(), recs.isEmpty() ? "" : " from " + o.get("first").asText() + " to " + o.get("last").asText(),
                            r.skipped(), r.corruptSubbufs(), r.overwritten(), r.dropped());
                }
            }
            if (output.json()) {
                output.printJson(out, arr);
            } else {
                out.printf("read them with `sonde relay cat %s <relay>`%n", d);
            }
            out.flush();
            return 0;
        }
    }
}
