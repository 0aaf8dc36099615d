package dev.sonde.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** Points Sonde's maps at a temporary directory unless {@code -Dsonde.dir} says otherwise. */
final class BenchDir {
    private BenchDir() {
    }

    static void ensure() {
        if (System.getProperty("sonde.dir") == null) {
            try {
                System.setProperty("sonde.dir", Files.createTempDirectory("sonde-bench").toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
