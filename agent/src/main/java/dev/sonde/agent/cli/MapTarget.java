package dev.sonde.agent.cli;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Maps;
import dev.sonde.maps.SondeDir;
import dev.sonde.maps.SondeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where a command finds maps: a pid (the live or dead JVM's {@code <sonde dir>/<pid>/maps}) or a directory given
 * with {@code --dir} (a {@code <pid>} directory, its {@code maps/}, or a folder of pinned map files).
 */
final class MapTarget {
    private final Path mapsDir;
    private final String description;

    private MapTarget(Path mapsDir, String description) {
        this.mapsDir = mapsDir;
        this.description = description;
    }

    /** {@code target} is a pid or a directory; {@code dir} (from --dir) wins when given. */
    static MapTarget resolve(String target, Path dir) {
        if (dir != null) {
            return fromDir(dir);
        }
        if (target == null) {
            throw new CliError(CliError.USAGE, "no target: give a JVM's pid or --dir <directory with map files>");
        }
        if (!target.chars().allMatch(Character::isDigit)) {
            return fromDir(Paths.get(target));
        }
        long pid = Long.parseLong(target);
        Path procDir = SondeDir.processDir(pid);
        if (JvmTarget.alive(pid)) {
            JvmTarget.requireReachable(pid, null);
        }
        if (!Files.isDirectory(procDir)) {
            if (!JvmTarget.alive(pid)) {
                throw new CliError(CliError.NOT_FOUND, "no such process " + pid + " and no maps it left in " + procDir
                        + "; list JVMs with `sonde jvms`");
            }
            Path base = SondeDir.base();
            if (Files.exists(base) && !Files.isExecutable(base)) {
                throw new CliError(CliError.PERMISSION, "cannot enter the Sonde directory " + base + "; set SONDE_DIR "
                        + "to a directory of yours, or run as its owner");
            }
            JvmTarget.requireJvm(pid);
            throw new CliError(CliError.NOT_FOUND, "JVM " + pid + " has no Sonde maps in " + procDir + ": attach the "
                    + "agent with `sonde attach " + pid + " <probes.yaml>`, or point at its directory with --dir / "
                    + "SONDE_DIR");
        }
        return fromDir(procDir);
    }

    private static MapTarget fromDir(Path dir) {
        Path d = dir.toAbsolutePath();
        if (Files.isDirectory(d.resolve("maps"))) {
            d = d.resolve("maps");
        }
        if (!Files.isDirectory(d)) {
            throw new CliError(CliError.NOT_FOUND, "no such directory " + dir + "; give a <sonde dir>/<pid> directory "
                    + "or its maps/ folder");
        }
        return new MapTarget(d, d.toString());
    }

    Path mapsDir() {
        return mapsDir;
    }

    /** Every map file, by name; files that are not maps are reported on stderr and skipped. */
    List<Path> mapFiles() {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(mapsDir)) {
            s.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().endsWith(".json"))
                    .filter(p -> !p.getFileName().toString().endsWith(".tmp"))
                    .sorted()
                    .forEach(files::add);
        } catch (IOException e) {
            throw new CliError(CliError.FAILED, "cannot list " + mapsDir + ": " + e.getMessage()
                    + "; check that you own the directory", e);
        }
        return files;
    }

    /** Opens the map named {@code nameOrId} (a name, or a numeric id, or {@code id N} / {@code name X}). */
    BpfMap open(String nameOrId, boolean writable) {
        Path byName = mapsDir.resolve(nameOrId);
        if (!nameOrId.contains("/") && Files.isRegularFile(byName)) {
            return openFile(byName, writable);
        }
        if (nameOrId.chars().allMatch(Character::isDigit)) {
            int id = Integer.parseInt(nameOrId);
            for (Path p : mapFiles()) {
                try (BpfMap m = Maps.open(p)) {
                    if (m.id() != id) {
                        continue;
                    }
                } catch (SondeException notAMap) {
                    continue;
                }
                return openFile(p, writable);
            }
        }
        List<String> names = new ArrayList<>();
        for (Path p : mapFiles()) {
            try (BpfMap m = Maps.open(p)) {
                names.add(p.getFileName().toString());
            } catch (SondeException notAMap) {
                // only maps are worth suggesting
            }
        }
        throw new CliError(CliError.NOT_FOUND, "no map '" + nameOrId + "' in " + description + (names.isEmpty()
                ? ", and no map files at all; point at a <sonde dir>/<pid> directory or its maps/ folder"
                : "; maps there: " + String.join(", ", names)));
    }

    static BpfMap openFile(Path p, boolean writable) {
        try {
            return Maps.open(p, writable);
        } catch (SondeException e) {
            throw new CliError(CliError.FAILED, e.getMessage(), e);
        }
    }
}
