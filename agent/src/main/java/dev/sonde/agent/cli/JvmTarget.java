package dev.sonde.agent.cli;

import dev.sonde.maps.SondeDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * What a pid on the command line is, checked before a command acts on it, so that each failure is one line that
 * says which case it is: not a pid, no such process, a process of another user, not a JVM, a JVM without the
 * Sonde agent. Ownership is read from {@code /proc} (Linux); where that is missing the checks are skipped and the
 * command's own error speaks.
 */
final class JvmTarget {
    private JvmTarget() {
    }

    static long pid(String s) {
        try {
            long p = Long.parseLong(s);
            if (p > 0) {
                return p;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new CliError(CliError.USAGE, "'" + s + "' is not a pid; list JVMs with `sonde jvms`");
    }

    static boolean alive(long pid) {
        return ProcessHandle.of(pid).isPresent();
    }

    /** Throws NOT_FOUND unless {@code pid} is a live process; {@code leftDir} names the files a dead JVM left. */
    static void requireAlive(long pid) {
        if (!alive(pid)) {
            Path dir = SondeDir.processDir(pid);
            throw new CliError(CliError.NOT_FOUND, "no such process " + pid + (Files.isDirectory(dir)
                    ? "; it left maps in " + dir + ": read them with `sonde map list " + pid + "`"
                    : "; list JVMs with `sonde jvms`"));
        }
    }

    /** The uid owning {@code pid}, or -1 where {@code /proc} does not say. */
    static int uid(long pid) {
        return uidOf(Paths.get("/proc", Long.toString(pid)));
    }

    static int myUid() {
        return uidOf(Paths.get("/proc/self"));
    }

    private static int uidOf(Path p) {
        try {
            return (Integer) Files.getAttribute(p, "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return -1;
        }
    }

    static String owner(long pid) {
        return ProcessHandle.of(pid).flatMap(h -> h.info().user()).orElse("uid " + uid(pid));
    }

    /** Whether {@code pid} runs as another user than this CLI. */
    static boolean otherUser(long pid) {
        int theirs = uid(pid);
        int mine = myUid();
        return theirs >= 0 && mine >= 0 && theirs != mine;
    }

    /**
     * Throws PERMISSION when {@code pid} belongs to another user and this CLI, not being root, cannot read its
     * files or reach its socket. {@code command} is the command line to suggest.
     */
    static void requireReachable(long pid, String command) {
        if (otherUser(pid) && myUid() != 0) {
            throw new CliError(CliError.PERMISSION, "JVM " + pid + " runs as user " + owner(pid) + " and you are "
                    + System.getProperty("user.name") + "; run sonde as that user: sudo -u " + owner(pid) + " sonde "
                    + (command == null ? "<the same command>" : command));
        }
    }

    /**
     * Throws when {@code pid} is readably not a JVM: its memory maps list no {@code libjvm.so} (the Attach API
     * would otherwise wait 10 s for an answer that never comes). Unreadable maps decide nothing.
     */
    static void requireJvm(long pid) {
        Path maps = Paths.get("/proc", Long.toString(pid), "maps");
        String text;
        try {
            text = Files.readString(maps);
        } catch (IOException | RuntimeException e) {
            return;
        }
        if (!text.isEmpty() && !text.contains("libjvm.so")) {
            String cmd = ProcessHandle.of(pid).flatMap(h -> h.info().command()).orElse("?");
            throw new CliError(CliError.NOT_FOUND, "process " + pid + " (" + cmd + ") is not a JVM; list JVMs with "
                    + "`sonde jvms`");
        }
    }

    /**
     * For the control commands: a live process of a user we can reach, with the agent's control socket.
     * {@code command} is the command line, for the suggestion.
     */
    static void requireAgent(long pid, String command) {
        requireAlive(pid);
        requireReachable(pid, command);
        Path sock = ControlClient.socket(pid);
        if (!Files.exists(sock)) {
            requireJvm(pid);
            if (otherUser(pid)) {
                throw new CliError(CliError.NOT_FOUND, "JVM " + pid + " runs as user " + owner(pid) + " and has no "
                        + "Sonde control socket in your Sonde directory (" + sock + "); run as that user: sudo -u "
                        + owner(pid) + " sonde " + command + ", or set SONDE_DIR to its directory");
            }
            throw new CliError(CliError.NOT_FOUND, "JVM " + pid + " runs without the Sonde agent (no control socket "
                    + sock + "); attach it with `sonde attach " + pid + " <probes.yaml>` or start it with "
                    + "-javaagent:sonde-agent.jar");
        }
    }
}
