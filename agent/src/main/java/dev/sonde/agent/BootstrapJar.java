package dev.sonde.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Puts the classes instrumented code calls on the bootstrap class path, so a method of any class loader (the JDK's
 * included) reaches them: the bridge ({@code dev.sonde.bridge}), the maps runtime and the program API. They are
 * copied from the agent jar into {@code <sonde dir>/<pid>/sonde-bootstrap.jar} (0600) and appended with
 * {@link Instrumentation#appendToBootstrapClassLoaderSearch}. The agent jar keeps its copies, which parent-first
 * delegation never loads once the bootstrap copies are there. Pure JDK: this runs before those classes exist.
 */
final class BootstrapJar {
    static final String[] PREFIXES = {"dev/sonde/bridge/", "dev/sonde/maps/", "dev/sonde/probes/"};
    /** The probe-file model and loader need Jackson and stay with the agent. */
    static final String[] EXCLUDED = {"dev/sonde/probes/config/", "dev/sonde/probes/load/"};

    private BootstrapJar() {
    }

    /** Appends the bootstrap classes; returns the jar written, or null when the agent does not run from a jar. */
    static Path install(Instrumentation inst) throws IOException {
        Path agentJar = agentJar();
        if (agentJar == null) {
            return null; // classes from a directory (tests, IDE): they are on the class path already
        }
        Path dir = processDir();
        createDirs(dir);
        Path target = dir.resolve("sonde-bootstrap.jar");
        Path tmp = dir.resolve("sonde-bootstrap.jar.tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (JarFile in = new JarFile(agentJar.toFile());
                OutputStream raw = Files.newOutputStream(tmp);
                JarOutputStream out = new JarOutputStream(raw)) {
            Enumeration<JarEntry> entries = in.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                if (e.isDirectory() || !bootstrap(e.getName())) {
                    continue;
                }
                out.putNextEntry(new JarEntry(e.getName()));
                try (InputStream is = in.getInputStream(e)) {
                    is.transferTo(out);
                }
                out.closeEntry();
            }
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        inst.appendToBootstrapClassLoaderSearch(new JarFile(target.toFile()));
        return target;
    }

    static boolean bootstrap(String entry) {
        for (String x : EXCLUDED) {
            if (entry.startsWith(x)) {
                return false;
            }
        }
        for (String p : PREFIXES) {
            if (entry.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    static Path agentJar() {
        try {
            Path p = Paths.get(BootstrapJar.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) ? p : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** {@code SondeDir.processDir()}, which cannot be called yet: the maps runtime is not loaded. */
    static Path processDir() {
        String dir = System.getProperty("sonde.dir");
        if (dir == null || dir.isEmpty()) {
            dir = System.getenv("SONDE_DIR");
        }
        if (dir == null || dir.isEmpty()) {
            dir = Paths.get(System.getProperty("java.io.tmpdir"), "sonde-" + System.getProperty("user.name")).toString();
        }
        return Paths.get(dir).toAbsolutePath().resolve(Long.toString(ProcessHandle.current().pid()));
    }

    private static void createDirs(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (dir.getParent() != null) {
            createDirs(dir.getParent());
        }
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            if (!Files.isDirectory(dir)) {
                throw raced;
            }
        }
    }
}
