package dev.sonde.agent.cli;

import dev.sonde.maps.SondeDir;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Talks to an agent's control socket ({@code <sonde dir>/<pid>/control.sock}): one line out, one line back. */
final class ControlClient {
    private ControlClient() {
    }

    static Path socket(long pid) {
        return SondeDir.processDir(pid).resolve("control.sock");
    }

    static boolean reachable(long pid) {
        return Files.exists(socket(pid)) && ProcessHandle.of(pid).isPresent();
    }

    /**
     * Sends {@code request}; returns the text after {@code ok}, or throws the agent's error as a {@link CliError}.
     * {@code command} is the user's command line, named in the fixes of the errors.
     */
    static String call(long pid, String request, String command) {
        JvmTarget.requireAgent(pid, command);
        Path sock = socket(pid);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(sock));
            ch.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.shutdownOutput();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read the whole reply
            }
            String reply = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
            if (reply.startsWith("ok")) {
                return reply.substring(2).trim();
            }
            throw new CliError(CliError.FAILED, reply.startsWith("error ") ? reply.substring(6) : "bad reply '" + reply
                    + "' from JVM " + pid + "; is its agent the same Sonde version?");
        } catch (IOException e) {
            String why = String.valueOf(e.getMessage());
            if (why.contains("Permission denied") || e instanceof java.nio.file.AccessDeniedException) {
                throw new CliError(CliError.PERMISSION, "no permission on " + sock + " of JVM " + pid + " (user "
                        + JvmTarget.owner(pid) + "); run as that user: sudo -u " + JvmTarget.owner(pid) + " sonde "
                        + command, e);
            }
            JvmTarget.requireAlive(pid); // it may have died meanwhile
            throw new CliError(CliError.FAILED, "JVM " + pid + " does not answer on " + sock + " (" + why
                    + "): its agent stopped; attach it again with `sonde attach " + pid + " <probes.yaml>`", e);
        }
    }
}
