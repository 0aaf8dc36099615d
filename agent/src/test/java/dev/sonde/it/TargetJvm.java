package dev.sonde.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A {@link TargetApp} in its own JVM with the shaded agent, its output collected line by line. */
final class TargetJvm implements AutoCloseable {
    final Process process;
    final Path sondeDir;
    final List<String> out = new CopyOnWriteArrayList<>();
    final List<String> err = new CopyOnWriteArrayList<>();

    private TargetJvm(Process p, Path sondeDir) {
        this.process = p;
        this.sondeDir = sondeDir;
        pump(p.getInputStream(), out);
        pump(p.getErrorStream(), err);
    }

    static Path agentJar() {
        Path jar = Paths.get(System.getProperty("sonde.agentJar", "target/sonde-agent.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing; run mvn -pl agent -am verify (package builds it)");
        }
        return jar;
    }

    /** JDKs to run the target on: this one, and JDK 25 when installed ({@code sonde.test.javaHome} adds another). */
    static List<String> javaHomes() {
        List<String> homes = new ArrayList<>();
        homes.add(System.getProperty("java.home"));
        for (String h : new String[] {System.getProperty("sonde.test.javaHome"), "/usr/lib/jvm/temurin-25-jdk-amd64"}) {
            if (h != null && Files.isExecutable(Paths.get(h, "bin", "java")) && !homes.contains(h)) {
                homes.add(h);
            }
        }
        return homes;
    }

    static TargetJvm start(String javaHome, Path sondeDir, String agentArgs, int calls, String... jvmArgs)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(javaHome, "bin", "java").toString());
        cmd.add("-Xmx128m");
        cmd.add("-Dsonde.dir=" + sondeDir);
        if (agentArgs != null) {
            cmd.add("-javaagent:" + agentJar() + (agentArgs.isEmpty() ? "" : "=" + agentArgs));
        }
        cmd.addAll(List.of(jvmArgs));
        cmd.add("-cp");
        cmd.add(Paths.get("target", "test-classes").toAbsolutePath().toString());
        cmd.add(TargetApp.class.getName());
        cmd.add(Integer.toString(calls));
        return new TargetJvm(new ProcessBuilder(cmd).start(), sondeDir);
    }

    Path processDir() {
        return sondeDir.resolve(Long.toString(process.pid()));
    }

    /** Waits for {@code READY}; false if the JVM exited first. */
    boolean awaitReady(long seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            if (out.contains("READY")) {
                return true;
            }
            if (!process.isAlive()) {
                Thread.sleep(200); // let the pumps drain
                return out.contains("READY");
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("the target printed no READY in " + seconds + " s; stdout " + out + " stderr " + err);
    }

    /** Runs the workload again and waits for its {@code READY}. */
    void runAgain() throws Exception {
        int before = count("READY");
        process.getOutputStream().write("run\n".getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (count("READY") == before) {
            if (System.nanoTime() > end || !process.isAlive()) {
                throw new IllegalStateException("no READY after run; stdout " + out + " stderr " + err);
            }
            Thread.sleep(20);
        }
    }

    private int count(String line) {
        int n = 0;
        for (String s : out) {
            if (s.equals(line)) {
                n++;
            }
        }
        return n;
    }

    /** Runs {@code java -jar sonde-agent.jar args...} with this JVM's Sonde directory; returns exit code and output. */
    static String[] cli(String javaHome, Path sondeDir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(javaHome, "bin", "java").toString(),
                "-Dsonde.dir=" + sondeDir, "-jar", agentJar().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("sonde " + List.of(args) + " hangs");
        }
        return new String[] {Integer.toString(p.exitValue()), output};
    }

    String result() {
        return out.stream().filter(l -> l.startsWith("RESULT")).reduce((a, b) -> b).orElse(null);
    }

    /** Sonde's own lines on stderr (the JVM's warnings aside). */
    List<String> sondeErrors() {
        List<String> l = new ArrayList<>();
        for (String s : err) {
            if (s.startsWith("sonde:")) {
                l.add(s);
            }
        }
        return l;
    }

    @Override
    public void close() throws Exception {
        process.getOutputStream().close();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void pump(java.io.InputStream in, List<String> into) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    into.add(line);
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        }, "target-output");
        t.setDaemon(true);
        t.start();
    }
}
