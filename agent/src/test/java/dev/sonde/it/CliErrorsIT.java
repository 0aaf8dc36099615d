package dev.sonde.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every pid-taking command against each kind of wrong pid, through the real {@code sonde} jar: a pid that does not
 * exist, a process that is not a JVM, a JVM without the agent, a JVM of another user (both ways: root's CLI on
 * nobody's JVM, nobody's CLI on root's JVM). Each must fail with one line naming the problem and the fix, the
 * documented exit code, and a stack trace only with {@code --debug}.
 */
class CliErrorsIT {
    private static final String JAVA_HOME = System.getProperty("java.home");
    private static final String PROBES = String.join("\n",
            "maps:",
            "  - {name: e_calls, type: hash, keySize: 8, valueSize: 8, maxEntries: 64}",
            "probes:",
            "  - {class: dev.sonde.it.TargetApp, method: work, program: count, maps: [e_calls]}",
            "");

    /** Exit code and the two streams of one {@code sonde} run. */
    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\nstdout: " + out + "\nstderr: " + err;
        }
    }

    private static Path dir(String test) throws Exception {
        Path d = Paths.get(System.getProperty("sonde.dir", "target/sonde-it")).toAbsolutePath().resolve(test);
        Files.createDirectories(d);
        Files.writeString(d.resolve("p.yaml"), PROBES);
        return d;
    }

    /** {@code java -jar sonde-agent.jar args}, optionally as uid/gid 65534 (setpriv execs, so no extra process). */
    static Run sonde(boolean asNobody, Path sondeDir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (asNobody) {
            cmd.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        }
        cmd.addAll(List.of(Paths.get(JAVA_HOME, "bin", "java").toString(), "-Xshare:auto", "-Dsonde.dir=" + sondeDir,
                "-jar", TargetJvm.agentJar().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("NO_COLOR");
        Process p = pb.start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("sonde " + List.of(args) + " hangs");
        }
        // The JVM's own warnings (CDS with an appended boot class path) are not the CLI's.
        String e = err.get().lines().filter(l -> !l.startsWith("OpenJDK 64-Bit Server VM warning"))
                .reduce("", (a, b) -> a + b + "\n");
        return new Run(p.exitValue(), out, e);
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** The seven pid-taking commands. */
    private static List<String[]> commands(long pid, Path yaml) {
        String p = Long.toString(pid);
        return List.of(new String[] {"attach", p, yaml.toString()}, new String[] {"detach", p},
                new String[] {"load", p, yaml.toString()}, new String[] {"unload", p}, new String[] {"jvms", p},
                new String[] {"prog", "list", p}, new String[] {"map", "list", p});
    }

    /** One line on stderr, starting {@code sonde: }, containing each of {@code parts}; nothing on stdout. */
    private static void oneLine(Run r, int code, String... parts) {
        assertEquals(code, r.code(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertEquals(1, r.err().lines().count(), r.toString());
        assertTrue(r.err().startsWith("sonde: "), r.toString());
        for (String part : parts) {
            assertTrue(r.err().contains(part), "'" + part + "' missing: " + r);
        }
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.toString());
    }

    /**
     * A Java runtime without the attach module (a jlink image with every module the agent jar needs but
     * {@code jdk.attach}): the commands that attach say so in one line.
     */
    @Test
    void aRuntimeWithoutTheAttachModule() throws Exception {
        Path image = Paths.get("target", "jre-without-attach").toAbsolutePath();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Paths.get(JAVA_HOME, "jmods")),
                "this JDK has no jmods to jlink a runtime from (Debian's openjdk-17-jdk-headless has them)");
        if (!Files.exists(image.resolve("bin").resolve("java"))) {
            Process jlink = new ProcessBuilder(Paths.get(JAVA_HOME, "bin", "jlink").toString(), "--add-modules",
                    "java.base,java.desktop,java.instrument,java.logging,java.management,java.net.http,java.sql,"
                            + "jdk.unsupported,jdk.zipfs",
                    "--output", image.toString(), "--no-header-files", "--no-man-pages")
                    .redirectErrorStream(true).start();
            String log = read(jlink.getInputStream());
            assertTrue(jlink.waitFor(120, TimeUnit.SECONDS) && jlink.exitValue() == 0, "jlink: " + log);
        }
        Path d = dir("noattach");
        for (String[] args : List.of(new String[] {"jvms"}, new String[] {"attach", Long.toString(ProcessHandle.current()
                .pid()), d.resolve("p.yaml").toString()})) {
            List<String> cmd = new ArrayList<>(List.of(image.resolve("bin").resolve("java").toString(),
                    "-Dsonde.dir=" + d, "-jar", TargetJvm.agentJar().toString()));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).start();
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            String out = read(p.getInputStream());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            oneLine(new Run(p.exitValue(), out, err.get()), 1, "no attach module (jdk.attach)", "full JDK");
        }
    }

    @Test
    void aPidThatDoesNotExist() throws Exception {
        Path d = dir("e_dead");
        Process child = new ProcessBuilder(Paths.get(JAVA_HOME, "bin", "java").toString(), "-version").start();
        child.getErrorStream().readAllBytes();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        long pid = child.pid();
        assertFalse(ProcessHandle.of(pid).isPresent());
        for (String[] c : commands(pid, d.resolve("p.yaml"))) {
            oneLine(sonde(false, d, c), 3, "no such process " + pid, "sonde jvms");
            List<String> debug = new ArrayList<>(List.of(c));
            debug.add("--debug");
            Run r = sonde(false, d, debug.toArray(new String[0]));
            assertEquals(3, r.code(), r.toString());
            assertTrue(r.err().lines().anyMatch(l -> l.startsWith("\tat ") && l.contains("dev.sonde.agent.cli.")),
                    "--debug shows the stack trace: " + r);
            assertTrue(r.err().lines().anyMatch(l -> l.startsWith("sonde: no such process " + pid)), r.toString());
        }
        oneLine(sonde(false, d, "unload", "12ab"), 2, "'12ab' is not a pid");
    }

    @Test
    void aProcessThatIsNotAJvm() throws Exception {
        Path d = dir("e_notjvm");
        Process sleep = new ProcessBuilder("sleep", "120").start();
        try {
            for (String[] c : commands(sleep.pid(), d.resolve("p.yaml"))) {
                oneLine(sonde(false, d, c), 3, "process " + sleep.pid() + " (", "is not a JVM");
            }
        } finally {
            sleep.destroyForcibly();
            sleep.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aJvmWithoutTheAgentThenAttachedWithProgress() throws Exception {
        Path d = dir("e_plain");
        try (TargetJvm jvm = TargetJvm.start(JAVA_HOME, d, null, 10, "-XX:+IgnoreUnrecognizedVMOptions",
                "-XX:+EnableDynamicAgentLoading")) {
            assertTrue(jvm.awaitReady(60), jvm.err.toString());
            long pid = jvm.process.pid();
            String p = Long.toString(pid);
            String yaml = d.resolve("p.yaml").toString();
            for (String[] c : List.of(new String[] {"detach", p}, new String[] {"load", p, yaml}, new String[] {"unload", p})) {
                oneLine(sonde(false, d, c), 3, "JVM " + pid + " runs without the Sonde agent", "sonde attach " + pid);
            }
            for (String[] c : List.of(new String[] {"prog", "list", p}, new String[] {"map", "list", p})) {
                oneLine(sonde(false, d, c), 3, "JVM " + pid + " has no Sonde maps", "sonde attach " + pid);
            }
            Run jvms = sonde(false, d, "jvms", p);
            assertEquals(0, jvms.code(), jvms.toString());
            assertTrue(jvms.out().lines().anyMatch(l -> l.matches(pid + " +- +- +- +dev.sonde.it.TargetApp.*")), jvms.toString());

            oneLine(sonde(false, d, "attach", p, d.resolve("nosuch.yaml").toString()), 3, "is not readable");
            Files.writeString(d.resolve("bad.yaml"), "probes:\n  - {class: a.B, program: count, mapz: [x]}\n");
            oneLine(sonde(false, d, "attach", p, d.resolve("bad.yaml").toString()), 2, "bad.yaml:2:", "unknown field 'mapz'");

            Run attach = sonde(false, d, "attach", p, yaml, "--progress");
            assertEquals(0, attach.code(), attach.toString());
            assertEquals("attached to " + pid + " with " + yaml + "; control socket " + jvm.processDir().resolve("control.sock"),
                    attach.out().trim());
            List<String> steps = attach.err().lines().toList();
            assertEquals(4, steps.size(), attach.toString());
            assertEquals("attaching to " + pid + " ...", steps.get(0));
            assertEquals("loading agent sonde-agent.jar with " + yaml + " ...", steps.get(1));
            assertEquals("attached, 1 programs, 1 hooked methods", steps.get(2));
            assertTrue(steps.get(3).matches("done in \\d+(\\.\\d)? m?s"), steps.get(3));

            Run quiet = sonde(false, d, "attach", p);
            assertEquals(0, quiet.code(), quiet.toString());
            assertEquals("", quiet.err(), "no progress off a terminal without --progress");
            Run jvmsAfter = sonde(false, d, "jvms", p);
            assertTrue(jvmsAfter.out().lines().anyMatch(l -> l.matches(pid + " +dynamic +running +1 .*")), jvmsAfter.toString());
            assertEquals(List.of(), jvm.sondeErrors());
        }
    }

    @Test
    void aJvmThatRefusesAttachOrDynamicAgents() throws Exception {
        Path d = dir("e_refuse");
        String yaml = d.resolve("p.yaml").toString();
        try (TargetJvm jvm = TargetJvm.start(JAVA_HOME, d, null, 10, "-XX:+DisableAttachMechanism")) {
            assertTrue(jvm.awaitReady(60), jvm.err.toString());
            long pid = jvm.process.pid();
            oneLine(sonde(false, d, "attach", Long.toString(pid), yaml), 1, "JVM " + pid + " does not accept attach",
                    "-XX:+DisableAttachMechanism", "start it with -javaagent:sonde-agent.jar");
        }
        // JDK 21+ can refuse dynamically loaded agents: the JDK 25 this machine may have does, when asked to.
        String jdk25 = "/usr/lib/jvm/temurin-25-jdk-amd64";
        if (Files.isExecutable(Paths.get(jdk25, "bin", "java"))) {
            try (TargetJvm jvm = TargetJvm.start(jdk25, d, null, 10, "-XX:-EnableDynamicAgentLoading")) {
                assertTrue(jvm.awaitReady(60), jvm.err.toString());
                long pid = jvm.process.pid();
                Run r = sonde(false, d, "attach", Long.toString(pid), yaml, "--progress");
                assertEquals(1, r.code(), r.toString());
                List<String> lines = r.err().lines().toList();
                assertEquals(List.of("attaching to " + pid + " ...", "loading agent sonde-agent.jar with " + yaml + " ..."),
                        lines.subList(0, 2), "progress stops where it failed: " + r);
                assertTrue(lines.get(2).startsWith("sonde: JVM " + pid + " refused to load the agent (Dynamic agent "
                        + "loading is not enabled"), r.toString());
                assertEquals(3, lines.size(), r.toString());
            }
        }
    }

    /** As root, with setpriv: a JVM of user nobody for root's CLI, and nobody's CLI for root's JVM. */
    @Test
    void aJvmOfAnotherUser() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to start a JVM as another user");
        assumeTrue(Files.isExecutable(Paths.get("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        Path d = dir("e_user");
        Path classes = Paths.get("target", "test-classes").toAbsolutePath();
        Process check = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "test",
                "-r", TargetJvm.agentJar().toString(), "-a", "-r", classes.resolve("dev/sonde/it/TargetApp.class").toString())
                .start();
        assumeTrue(check.waitFor() == 0, "nobody cannot read the agent jar and the test classes here");

        Process theirs = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                Paths.get(JAVA_HOME, "bin", "java").toString(), "-Xmx64m", "-cp",
                classes.toString(), "dev.sonde.it.TargetApp", "10").redirectErrorStream(true).start();
        try (TargetJvm mine = TargetJvm.start(JAVA_HOME, d, "config=" + d.resolve("p.yaml"), 10)) {
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(theirs.getInputStream(),
                    StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.equals("READY")) {
                // the workload's results
            }
            assertEquals("READY", line, "nobody's JVM did not start");
            assertTrue(mine.awaitReady(60), mine.err.toString());
            long pid = theirs.pid();
            String p = Long.toString(pid);
            String yaml = d.resolve("p.yaml").toString();
            oneLine(sonde(false, d, "attach", p, yaml), 4, "JVM " + pid + " runs as user nobody",
                    "sudo -u nobody sonde attach " + pid);
            for (String[] c : List.of(new String[] {"detach", p}, new String[] {"load", p, yaml}, new String[] {"unload", p})) {
                oneLine(sonde(false, d, c), 3, "JVM " + pid + " runs as user nobody", "sudo -u nobody sonde " + c[0]);
            }

            long rootPid = mine.process.pid();
            for (String[] c : commands(rootPid, d.resolve("p.yaml"))) {
                oneLine(sonde(true, d, c), 4, "JVM " + rootPid + " runs as user root and you are nobody", "sudo -u root sonde");
            }
        } finally {
            theirs.destroyForcibly();
            theirs.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
