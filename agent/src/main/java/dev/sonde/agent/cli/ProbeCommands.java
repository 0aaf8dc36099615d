package dev.sonde.agent.cli;

import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import dev.sonde.maps.SondeDir;
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

    static Path probeFile(String file) {
        Path p = Paths.get(file).toAbsolutePath();
        if (!Files.isReadable(p)) {
            throw new CliError(CliError.NOT_FOUND, "probe file " + p + " is not readable; give the path of a YAML or "
                    + "JSON probe file");
        }
        return p;
    }

    static long pid(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new CliError(CliError.USAGE, "'" + s + "' is not a pid; list JVMs with `sonde jvms`");
        }
    }

    @Command(name = "load", description = "Replace the programs of a JVM running the agent with a probe file's.")
    static final class Load implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "<pid>") String pid;
        @Parameters(index = "1", paramLabel = "<probes.yaml>") String file;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(ControlClient.call(pid(pid), "load " + probeFile(file)));
            return 0;
        }
    }

    @Command(name = "unload", description = "Detach every program of a JVM; its methods keep an empty hook.")
    static final class Unload implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "<pid>") String pid;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(ControlClient.call(pid(pid), "unload"));
            return 0;
        }
    }

    @Command(name = "detach", description = "Detach every program and restore the JVM's original bytecode.")
    static final class Detach implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "<pid>") String pid;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(ControlClient.call(pid(pid), "detach"));
            return 0;
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
            long p = pid(pid);
            PrintWriter out = spec.commandLine().getOut();
            String config = file == null ? null : probeFile(file).toString();
            if (ControlClient.reachable(p)) {
                out.println(config == null ? ControlClient.call(p, "status") : ControlClient.call(p, "load " + config));
                return 0;
            }
            Path jar = agentJar();
            String args = "dir=" + SondeDir.base() + (config == null ? "" : ",config=" + config);
            VirtualMachine vm;
            try {
                vm = VirtualMachine.attach(Long.toString(p));
            } catch (Exception e) {
                throw new CliError(CliError.FAILED, "cannot attach to JVM " + p + " (" + e + "); run as its user, and "
                        + "on JDK 21+ start it with -XX:+EnableDynamicAgentLoading or with -javaagent instead", e);
            }
            try {
                vm.loadAgent(jar.toString(), args);
            } finally {
                vm.detach();
            }
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

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-8s %-10s %-9s %-8s %s%n", "PID", "AGENT", "STATE", "PROGS", "MAIN");
            List<Long> seen = new ArrayList<>();
            for (VirtualMachineDescriptor d : VirtualMachine.list()) {
                long pid = pid(d.id());
                seen.add(pid);
                row(out, pid, d.displayName());
            }
            // JVMs with an agent that the attach mechanism does not list (-XX:+DisableAttachMechanism, other tmp).
            Path base = SondeDir.base();
            if (Files.isDirectory(base)) {
                try (var dirs = Files.list(base)) {
                    for (Path d : (Iterable<Path>) dirs::iterator) {
                        String n = d.getFileName().toString();
                        if (n.chars().allMatch(Character::isDigit) && !seen.contains(Long.parseLong(n))
                                && ProcessHandle.of(Long.parseLong(n)).isPresent()
                                && Files.exists(d.resolve("agent.json"))) {
                            row(out, Long.parseLong(n), "?");
                        }
                    }
                }
            }
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
