package dev.sonde.agent.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sonde}: bpftool for the JVM. Errors are one line naming the problem and the fix, with a non-zero exit
 * code; stack traces only with {@code --debug}.
 */
@Command(name = "sonde", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "sonde 0.1.0",
        description = "Inspect Sonde's programs and maps in a JVM, live or after it died.",
        subcommands = {MapCommand.class, ProbeCommands.Jvms.class, ProbeCommands.Load.class,
            ProbeCommands.Unload.class, ProbeCommands.Attach.class, ProbeCommands.Detach.class, ProgCommand.class, RelayCommand.class, RingbufCommand.class, StructOpsCommand.class})
public final class SondeCli {
    @Option(names = "--color", paramLabel = "auto|always|never", scope = CommandLine.ScopeType.INHERIT,
            description = "Colour headings, errors and histogram bars: auto (default: when stdout is a terminal and "
                    + "NO_COLOR is unset), always, never.")
    Term.ColorMode color = Term.ColorMode.AUTO;

    @Option(names = "--progress", negatable = true, scope = CommandLine.ScopeType.INHERIT,
            description = "Progress lines on stderr for attach and relay snapshot (default: when on a terminal).")
    Boolean progress;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces with errors.")
    boolean debug;

    private SondeCli() {
    }

    /** Runs a command line and returns its exit code; output goes to {@code out}, errors to {@code err}. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new SondeCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        SondeCli root = (SondeCli) cl.getCommand();
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (root.debug) {
                e.printStackTrace(err);
            }
            Term term = Term.of(cmd.getCommandSpec());
            if (e instanceof CliError) {
                err.println(term.error("sonde:") + " " + e.getMessage());
                err.flush();
                return ((CliError) e).exitCode();
            }
            if (e instanceof dev.sonde.maps.SondeException) {
                err.println(term.error("sonde:") + " " + e.getMessage());
                err.flush();
                return CliError.FAILED;
            }
            err.println(term.error("sonde:") + " internal error: " + e + " (rerun with --debug and report it)");
            err.flush();
            return CliError.FAILED;
        });
        try {
            return cl.execute(args);
        } catch (NoClassDefFoundError missing) {
            if (root.debug) {
                missing.printStackTrace(err);
            }
            if (String.valueOf(missing.getMessage()).startsWith("com/sun/tools/attach")) {
                err.println("sonde: this Java runtime has no attach module (jdk.attach), which attach, detach, load, "
                        + "unload and jvms need; run sonde with the java of a full JDK (or a jlink image that "
                        + "includes jdk.attach)");
                err.flush();
                return CliError.FAILED;
            }
            throw missing;
        }
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(out, err, args));
    }
}
