package dev.sonde.agent.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** bpftool's output switches, shared by every command: {@code -j/--json}, {@code -p/--pretty} ({@code --debug},
 * {@code --color} and {@code --progress} are {@link SondeCli}'s, inherited by every command). */
final class OutputOptions {
    @Option(names = {"-j", "--json"}, description = "Print JSON (stable field names, see docs/cli.md).")
    boolean json;

    @Option(names = {"-p", "--pretty"}, description = "Print human-readable JSON (implies --json).")
    boolean pretty;

    boolean json() {
        return json || pretty;
    }

    void printJson(PrintWriter out, Object tree) {
        ObjectMapper m = new ObjectMapper();
        if (pretty) {
            m.enable(SerializationFeature.INDENT_OUTPUT);
        }
        try {
            out.println(m.writeValueAsString(tree));
        } catch (JsonProcessingException e) {
            throw new CliError(CliError.FAILED, "cannot encode JSON: " + e.getOriginalMessage(), e);
        }
        out.flush();
    }
}
