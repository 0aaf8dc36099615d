package dev.sonde.it;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A test application in its own JVM with any class path and any agents, in the order given: {@link TargetJvm} for
 * apps other than {@link TargetApp}. Same protocol: {@code RESULT} and {@code READY} lines, {@code run} on stdin.
 */
final class InteropJvm implements AutoCloseable {
    final Process process;
    final Path sondeDir;
    final List<String> out = new CopyOnWriteArrayList<>();
    final List<String> err = new CopyOnWriteArrayList<>();

    private InteropJvm(Process p, Path sondeDir) {
        this.process = p;
        this.sondeDir = sondeDir;
        pump(p.getInputStream(), out);
        pump(p.getErrorStream(), err);
    }

    /** The jars under {@code dir} (copied there by the pom before the integration tests), sorted by name. */
    static List<Path> jarsIn(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException(dir + " is missing; run mvn -pl agent -am verify (pre-integration-test copies it)");
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".jar")).sorted().map(Path::toAbsolutePath).toList();
        }
    }

    /**
     * {@code java -Xmx128m -Dsonde.dir=... <jvmArgs> -cp test-classes:<libs> <main> <args>}; the agents go in
     * {@code jvmArgs}, in their order.
     */
    static InteropJvm start(String javaHome, Path sondeDir, List<String> jvmArgs, List<Path> libs, Class<?> main,
            String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(javaHome, "bin", "java").toString());
        cmd.add("-Xmx128m");
        cmd.add("-Dsonde.dir=" + sondeDir);
        cmd.addAll(jvmArgs);
        StringBuilder cp = new StringBuilder(Paths.get("target", "test-classes").toAbsolutePath().toString());
        for (Path lib : libs) {
            cp.append(File.pathSeparatorChar).append(lib);
        }
        cmd.add("-cp");
        cmd.add(cp.toString());
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return new InteropJvm(new ProcessBuilder(cmd).start(), sondeDir);
    }

    Path processDir() {
        return sondeDir.resolve(Long.toString(process.pid()));
    }

    /** Waits for the first {@code READY}; fails with the JVM's output if it exits first or takes too long. */
    void awaitReady(long seconds) throws InterruptedException {
        awaitCount("READY", 1, seconds);
    }

    /** Runs the workload again and waits for its {@code READY}. */
    void runAgain() throws Exception {
        int before = count("READY");
        process.getOutputStream().write("run\n".getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
        awaitCount("READY", before + 1, 60);
    }

    private void awaitCount(String line, int n, long seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (count(line) < n) {
            if (!process.isAlive()) {
                Thread.sleep(200); // let the pumps drain
                if (count(line) >= n) {
                    return;
                }
                throw new IllegalStateException("the target exited " + process.exitValue() + "; stdout " + out
                        + " stderr " + err);
            }
            if (System.nanoTime() > end) {
                throw new IllegalStateException("no " + line + " in " + seconds + " s; stdout " + out + " stderr " + err);
            }
            Thread.sleep(20);
        }
    }

    int count(String line) {
        int n = 0;
        for (String s : out) {
            if (s.equals(line)) {
                n++;
            }
        }
        return n;
    }

    /** The last {@code RESULT} line. */
    String result() {
        return out.stream().filter(l -> l.startsWith("RESULT")).reduce((a, b) -> b).orElse(null);
    }

    /** Closes stdin, so the app stops; returns its exit code. */
    int stop() throws Exception {
        process.getOutputStream().close();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the target did not stop within 30 s of its stdin closing; stderr " + err);
        }
        Thread.sleep(200); // let the pumps drain
        return process.exitValue();
    }

    /** Stops the app if a test failed before {@link #stop}: stdin closed, then killed after 20 s. */
    @Override
    public void close() throws IOException {
        if (!process.isAlive()) {
            return;
        }
        process.getOutputStream().close();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void pump(InputStream in, List<String> into) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    into.add(line);
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        }, "interop-output");
        t.setDaemon(true);
        t.start();
    }
}
