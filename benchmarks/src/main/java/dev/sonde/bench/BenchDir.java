package dev.sonde.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Points Sonde's maps at a temporary directory (removed at exit) unless {@code -Dsonde.dir} says otherwise. */
final class BenchDir {
    private BenchDir() {
    }

    static synchronized void ensure() {
        if (System.getProperty("sonde.dir") == null) {
            try {
                Path dir = Files.createTempDirectory("sonde-bench");
                System.setProperty("sonde.dir", dir.toString());
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort at JVM exit
        }
    }
}
