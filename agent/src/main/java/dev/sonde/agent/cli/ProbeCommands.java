package dev.sonde.agent.cli;

import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import dev.sonde.maps.SondeDir;
import dev.sonde.probes.config.ProbeFileException;
import dev.sonde.probes.config.ProbeFileParser;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code jvms}, {@code load}, {@code unload}, {@code attach}, {@code detach}: programs in running JVMs. */
final class ProbeCommands {
    private ProbeCommands() {
    }

    /** A readable probe file that parses; the agent still verifies it against its maps and classes. */
    static Path probeFile(String file) {
        Path p = Paths.get(file).toAbsolutePath();
        if (!Files.isReadable(p)) {
            throw new CliError(CliError.NOT_FOUND, "probe file " + p + " is not readable; give the path of a YAML or "
                    + "JSON probe file");
        }
        try {
            ProbeFileParser.parse(p);
        } catch (ProbeFileException e) {
            throw new CliError(CliError.USAGE, e.getMessage(), e);
        }
        return p;
    }

    static long pid(String s) {
        return JvmTarget.pid(s);
    }

    /** The control commands: one request to the agent, its reply printed. */
    abstract static class ControlCmd implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "<pid>") String pid;

        abstract String request();

        @Override
        public Integer call() {
            long p = pid(pid);
            String request = request();
            String command = spec.name() + " " + p + (request.startsWith("load ") ? " " + file() : "");
            spec.commandLine().getOut().println(ControlClient.call(p, request, command));
            return 0;
        }

        String file() {
            return "";
        }
    }

    @Command(name = "load", description = "Replace the programs of a JVM running the agent with a probe file's.")
    static final class Load extends ControlCmd {
        @Parameters(index = "1", paramLabel = "<probes.yaml>") String file;

        @Override
        String request() {
            JvmTarget.requireAgent(pid(pid), "load " + pid + " " + file);
            return "load " + probeFile(file);
        }

        @Override
        String file() {
            return file;
        }
    }

    @Command(name = "unload", description = "Detach every program of a JVM; its methods keep an empty hook.")
    static final class Unload extends ControlCmd {
        @Override
        String request() {
            return "unload";
        }
    }

    @Command(name = "detach", description = "Detach every program and restore the JVM's original bytecode.")
    static final class Detach extends ControlCmd {
        @Override
        String request() {
            return "detach";
        }
    }

    @Command(name = "attach", description = "Load the agent into a running JVM (Attach API) with a probe file; a JVM "
            + "already running the agent takes the file through its control socket instead.")
    static final class Attach implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "<pid>") String pid;
        @Parameters(index = "1", arity = "0..1", paramLabel = "<probes.yaml>") String file;

        @Override
        public Integer call() throws Exception {
            long start = System.nanoTime();
            long p = pid(pid);
            String command = "attach " + p + (file == null ? "" : " " + file);
            JvmTarget.requireAlive(p);
            JvmTarget.requireReachable(p, command);
            String config = file == null ? null : probeFile(file).toString();
            PrintWriter out = spec.commandLine().getOut();
            Term term = Term.of(spec);
            term.step("attaching to " + p + " ...");
            if (Files.exists(ControlClient.socket(p))) {
                term.step("the agent runs already: " + (config == null ? "asking its status" : "loading " + config)
                        + " through " + ControlClient.socket(p) + " ...");
                String reply = ControlClient.call(p, config == null ? "status" : "load " + config, command);
                term.step("done in " + Term.elapsed(start));
                out.println(reply);
                return 0;
            }
            JvmTarget.requireJvm(p);
            if (JvmTarget.otherUser(p)) {
                String who = JvmTarget.owner(p);
                throw new CliError(CliError.PERMISSION, "JVM " + p + " runs as user " + who + ": attach as that user, so "
                        + "that the agent writes a Sonde directory " + who + " owns: sudo -u " + who + " sonde " + command);
            }
            Path jar = agentJar();
            String args = "dir=" + SondeDir.base() + (config == null ? "" : ",config=" + config);
            VirtualMachine vm = AttachErrors.attach(p, command);
            term.step("loading agent " + jar.getFileName() + (config == null ? "" : " with " + config) + " ...");
            try {
                AttachErrors.loadAgent(vm, p, jar, args);
            } finally {
                vm.detach();
            }
            if (!Files.exists(ControlClient.socket(p))) {
                throw new CliError(CliError.FAILED, "the agent did not start in JVM " + p + " (no control socket "
                        + ControlClient.socket(p) + "); that JVM's stderr has a `sonde: agent not started` line "
                        + "saying why");
            }
            term.step(ControlClient.call(p, "status", command));
            term.step("done in " + Term.elapsed(start));
            out.println("attached to " + p + (config == null ? "" : " with " + config) + "; control socket "
                    + ControlClient.socket(p));
            return 0;
        }

        private static Path agentJar() throws Exception {
            Path p = Paths.get(ProbeCommands.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(p)) {
                throw new CliError(CliError.FAILED, "attach runs from sonde-agent.jar; use java -jar sonde-agent.jar "
                        + "attach <pid> <probes.yaml>");
            }
            return p;
        }
    }

    @Command(name = "jvms", description = "List local JVMs and their Sonde agent: how it was loaded and its programs.")
    static final class Jvms implements Callable<Integer> {
        private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"(\\w+)\"");
        private static final Pattern ATTACH = Pattern.compile("\"attach\"\\s*:\\s*\"(\\w+)\"");
        private static final Pattern PROG = Pattern.compile("\"kind\"\\s*:");

        @Spec CommandSpec spec;
        @Parameters(index = "0", arity = "0..1", paramLabel = "<pid>", description = "Only this JVM.") String pid;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Long only = pid == null ? null : pid(pid);
            if (only != null) {
                JvmTarget.requireAlive(only);
                JvmTarget.requireReachable(only, "jvms " + only);
                JvmTarget.requireJvm(only);
            }
            // Listed before the heading: on a runtime without jdk.attach the error is then the only output.
            List<VirtualMachineDescriptor> listed = VirtualMachine.list();
            out.println(Term.of(spec).heading(String.format("%-8s %-10s %-9s %-8s %s", "PID", "AGENT", "STATE", "PROGS",
                    "MAIN")));
            List<Long> seen = new ArrayList<>();
            for (VirtualMachineDescriptor d : listed) {
                long p = pid(d.id());
                if (only == null || only == p) {
                    seen.add(p);
                    row(out, p, d.displayName());
                }
            }
            // JVMs with an agent that the attach mechanism does not list (-XX:+DisableAttachMechanism, other tmp).
            Path base = SondeDir.base();
            if (Files.isDirectory(base)) {
                try (var dirs = Files.list(base)) {
                    for (Path d : (Iterable<Path>) dirs::iterator) {
                        String n = d.getFileName().toString();
                        if (n.chars().allMatch(Character::isDigit) && !seen.contains(Long.parseLong(n))
                                && (only == null || only == Long.parseLong(n))
                                && ProcessHandle.of(Long.parseLong(n)).isPresent()
                                && Files.exists(d.resolve("agent.json"))) {
                            seen.add(Long.parseLong(n));
                            row(out, Long.parseLong(n), "?");
                        }
                    }
                } catch (java.nio.file.AccessDeniedException e) {
                    throw new CliError(CliError.PERMISSION, "cannot read the Sonde directory " + base + " (owned by "
                            + Files.getOwner(base).getName() + "); set SONDE_DIR to a directory of yours, or run as "
                            + "its owner", e);
                }
            }
            if (only != null && seen.isEmpty()) {
                // A JVM the Attach API does not list (another tmp dir, -XX:-UsePerfData): shown without its main class.
                row(out, only, "?");
            }
            out.flush();
            return 0;
        }

        private static void row(PrintWriter out, long pid, String main) throws Exception {
            Path dir = SondeDir.processDir(pid);
            String agent = "-";
            String state = "-";
            String progs = "-";
            if (Files.exists(dir.resolve("agent.json"))) {
                String a = Files.readString(dir.resolve("agent.json"));
                agent = group(ATTACH, a);
                state = group(STATE, a);
                if (Files.exists(dir.resolve("progs.json"))) {
                    Matcher m = PROG.matcher(Files.readString(dir.resolve("progs.json")));
                    int n = 0;
                    while (m.find()) {
                        n++;
                    }
                    progs = Integer.toString(n);
                }
            }
            out.printf("%-8d %-10s %-9s %-8s %s%n", pid, agent, state, progs, main.isEmpty() ? "?" : main);
        }

        private static String group(Pattern p, String text) {
            Matcher m = p.matcher(text);
            return m.find() ? m.group(1) : "?";
        }
    }
}
