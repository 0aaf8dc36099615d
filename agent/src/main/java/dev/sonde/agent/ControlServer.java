package dev.sonde.agent;

import dev.sonde.maps.SondeDir;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The local control channel: a Unix-domain socket {@code <sonde dir>/<pid>/control.sock} (0600, in the 0700
 * process directory, so only the JVM's user reaches it) through which {@code sonde load/unload/detach} replace
 * programs without a dynamically loaded agent (JEP 451). One request line, one reply line:
 * {@code ok <text>} or {@code error <message>}.
 */
final class ControlServer implements Runnable {
    static final String SOCKET = "control.sock";
    private static final int MAX_REQUEST = 8192;

    private final AgentRuntime rt;
    private final Path path;
    private ServerSocketChannel server;
    private volatile boolean running;

    ControlServer(AgentRuntime rt) {
        this.rt = rt;
        this.path = SondeDir.processDir().resolve(SOCKET);
    }

    Path path() {
        return path;
    }

    void start() throws IOException {
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        running = true;
        Thread t = new Thread(this, "sonde-control");
        t.setDaemon(true);
        t.start();
    }

    void stop() {
        running = false;
        try {
            if (server != null) {
                server.close();
            }
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // exiting: a stale socket file is replaced by the next agent of this pid
        }
    }

    @Override
    public void run() {
        while (running) {
            try (SocketChannel ch = server.accept()) {
                String request = readLine(ch);
                String reply = handle(request);
                ch.write(ByteBuffer.wrap((reply + "\n").getBytes(StandardCharsets.UTF_8)));
            } catch (IOException e) {
                if (!running) {
                    return;
                }
            }
        }
    }

    String handle(String request) {
        if (request == null) {
            return "error empty request; send load <file>, unload, detach or status";
        }
        String[] parts = request.trim().split(" ", 2);
        try {
            switch (parts[0]) {
                case "load":
                    if (parts.length < 2 || parts[1].isBlank()) {
                        return "error load needs a probe file; send load <absolute path>";
                    }
                    return "ok " + rt.load(Path.of(parts[1].trim()));
                case "unload":
                    return "ok " + rt.unload();
                case "detach":
                    return "ok " + rt.detach();
                case "status":
                    return "ok " + rt.summary();
                default:
                    return "error unknown command '" + parts[0] + "'; send load <file>, unload, detach or status";
            }
        } catch (RuntimeException e) {
            return "error " + String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " ");
        }
    }

    private static String readLine(SocketChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_REQUEST);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                break;
            }
            for (int i = 0; i < buf.position(); i++) {
                if (buf.get(i) == '\n') {
                    return new String(buf.array(), 0, i, StandardCharsets.UTF_8);
                }
            }
        }
        return buf.position() == 0 ? null : new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }
}
