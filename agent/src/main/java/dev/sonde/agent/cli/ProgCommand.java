package dev.sonde.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code sonde prog list|show <pid> [name]}: bpftool prog for a JVM's programs, read from the {@code progs.json}
 * the agent keeps current: id, name, type, kind, attached methods, maps, run count and time, errors, state.
 */
@Command(name = "prog", description = "List a JVM's probe programs and their stats.",
        subcommands = {ProgCommand.ListCmd.class})
final class ProgCommand {
    private ProgCommand() {
    }

    @Command(name = "list", aliases = "show", description = "Programs: id, name, type, attach points, maps, runs, errors, state.")
    static final class ListCmd implements Callable<Integer> {
        @Mixin
        OutputOptions output;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "<pid>")
        String target;

        @Parameters(index = "1", arity = "0..1", paramLabel = "<name>", description = "Only the program with this name or id.")
        String name;

        @Option(names = "--dir", description = "A <sonde dir>/<pid> directory to read instead of a pid's.")
        Path dir;

        @Override
        public Integer call() {
            if (dir == null && target == null) {
                throw new CliError(CliError.USAGE, "give the JVM's pid, or --dir <sonde dir>/<pid> for a JVM that is gone");
            }
            Path procDir = MapTarget.resolve(dir == null ? target : null, dir).mapsDir().getParent();
            if (dir != null && name == null) {
                name = target;
            }
            Path progs = procDir.resolve("progs.json");
            if (!Files.isRegularFile(progs)) {
                throw new CliError(CliError.NOT_FOUND, "no progs.json in " + procDir + ": the JVM has maps but no Sonde "
                        + "agent wrote programs there; load one with `sonde load <pid> probes.yaml`");
            }
            JsonNode root;
            try {
                root = new ObjectMapper().readTree(progs.toFile());
            } catch (IOException e) {
                throw new CliError(CliError.FAILED, "cannot read " + progs + ": " + e.getMessage(), e);
            }
            ArrayNode selected = JsonNodeFactory.instance.arrayNode();
            for (JsonNode p : root.path("programs")) {
                if (name == null || name.equals(p.path("name").asText()) || name.equals(p.path("id").asText())) {
                    selected.add(p);
                }
            }
            if (name != null && selected.isEmpty()) {
                throw new CliError(CliError.NOT_FOUND, "no program '" + name + "' in " + progs
                        + "; list them with `sonde prog list " + target + "`");
            }
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                output.printJson(out, selected);
                return 0;
            }
            for (JsonNode p : selected) {
                out.printf("%d: %s  name %s  %s  state %s%n", p.path("id").asInt(), p.path("type").asText(),
                        p.path("name").asText(), p.path("kind").asText(), p.path("state").asText());
                out.printf("\tattach %s%n", p.path("attach").asText());
                out.printf("\tmaps %s  run_cnt %d  run_time_ns %d  errors %d%n", join(p.path("maps")),
                        p.path("runCount").asLong(), p.path("runTimeNanos").asLong(), p.path("errors").asLong());
                if (!p.path("lastError").isNull() && !p.path("lastError").asText().isEmpty()) {
                    out.printf("\tlast_error %s%n", p.path("lastError").asText());
                }
            }
            out.flush();
            return 0;
        }

        private static String join(JsonNode arr) {
            StringBuilder b = new StringBuilder();
            for (JsonNode n : arr) {
                b.append(b.length() == 0 ? "" : ",").append(n.asText());
            }
            return b.toString();
        }
    }

}
