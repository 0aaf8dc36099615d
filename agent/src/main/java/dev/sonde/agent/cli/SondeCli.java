package dev.sonde.agent.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code sonde}: bpftool for the JVM. Errors are one line naming the problem and the fix, with a non-zero exit
 * code; stack traces only with {@code --debug}.
 */
@Command(name = "sonde", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "sonde 0.1.0",
        description = "Inspect Sonde's programs and maps in a JVM, live or after it died.",
        subcommands = {MapCommand.class, ProbeCommands.Jvms.class, ProbeCommands.Load.class,
            ProbeCommands.Unload.class, ProbeCommands.Attach.class, ProbeCommands.Detach.class, ProgCommand.class, RelayCommand.class, RingbufCommand.class, StructOpsCommand.class})
public final class SondeCli {
    private SondeCli() {
    }

    /** Runs a command line and returns its exit code; output goes to {@code out}, errors to {@code err}. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new SondeCli());
        cl.setOut(out);
        cl.setErr(err);
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (debug) {
                e.printStackTrace(err);
            }
            if (e instanceof CliError) {
                err.println("sonde: " + e.getMessage());
                err.flush();
                return ((CliError) e).exitCode();
            }
            if (e instanceof dev.sonde.maps.SondeException) {
                err.println("sonde: " + e.getMessage());
                err.flush();
                return CliError.FAILED;
            }
            err.println("sonde: internal error: " + e + " (rerun with --debug and report it)");
            err.flush();
            return CliError.FAILED;
        });
        return cl.execute(args);
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(out, err, args));
    }
}
