package dev.sonde.maps;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * The Sonde directory: {@code -Dsonde.dir}, else {@code SONDE_DIR}, else {@code ${java.io.tmpdir}/sonde-${user.name}}.
 * Each JVM writes under {@code <dir>/<pid>/}: {@code maps/}, {@code relay/}, {@code progs.json}, {@code agent.json}.
 * Directories are 0700 and files 0600: maps may hold arguments of the application's methods.
 */
public final class SondeDir {
    static final Set<PosixFilePermission> DIR_PERMS = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE_PERMS = PosixFilePermissions.fromString("rw-------");

    private SondeDir() {
    }

    /** The Sonde directory for this JVM, read each time so tests and the agent can set it late. */
    public static Path base() {
        String dir = System.getProperty("sonde.dir");
        if (dir == null || dir.isEmpty()) {
            dir = System.getenv("SONDE_DIR");
        }
        if (dir == null || dir.isEmpty()) {
            dir = Paths.get(System.getProperty("java.io.tmpdir"), "sonde-" + System.getProperty("user.name")).toString();
        }
        return Paths.get(dir).toAbsolutePath();
    }

    /** {@code <dir>/<pid>} of the given JVM. */
    public static Path processDir(long pid) {
        return base().resolve(Long.toString(pid));
    }

    /** {@code <dir>/<pid>} of this JVM. */
    public static Path processDir() {
        return processDir(ProcessHandle.current().pid());
    }

    public static Path mapsDir() {
        return processDir().resolve("maps");
    }

    public static Path relayDir() {
        return processDir().resolve("relay");
    }

    /** Creates {@code dir} and its missing parents with mode 0700; an existing directory keeps its mode. */
    public static Path ensureDir(Path dir) {
        try {
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                return dir;
            }
            Path parent = dir.getParent();
            if (parent != null) {
                ensureDir(parent);
            }
            try {
                Files.createDirectory(dir, dirAttribute());
            } catch (FileAlreadyExistsException raced) {
                if (!Files.isDirectory(dir)) {
                    throw raced;
                }
            }
            return dir;
        } catch (IOException | UnsupportedOperationException e) {
            throw new SondeException(Errno.EPERM, "cannot create Sonde directory " + dir + ": " + e
                    + "; set -Dsonde.dir or SONDE_DIR to a writable directory", e);
        }
    }

    static FileAttribute<Set<PosixFilePermission>> dirAttribute() {
        return PosixFilePermissions.asFileAttribute(DIR_PERMS);
    }

    static FileAttribute<Set<PosixFilePermission>> fileAttribute() {
        return PosixFilePermissions.asFileAttribute(FILE_PERMS);
    }

    /**
     * Creates {@code path} (mode 0600, which must not exist yet; its directory 0700), zero-filled to {@code size}
     * bytes so that a full disk fails here and not on a later store through the mapping, and maps it read-write,
     * little-endian. {@code what} names the file in errors ("map file", "relay file"). The caller writes the header.
     */
    static MappedByteBuffer createMapped(Path path, long size, String what) {
        ensureDir(path.getParent());
        boolean created = false;
        try (FileChannel ch = FileChannel.open(path, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE), fileAttribute())) {
            created = true;
            ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(size, 1 << 16));
            long pos = 0;
            while (pos < size) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), size - pos));
                pos += ch.write(zeros, pos);
            }
            MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
            b.order(ByteOrder.LITTLE_ENDIAN);
            return b;
        } catch (FileAlreadyExistsException e) {
            throw new SondeException(Errno.EEXIST, what + " " + path + " already exists (a pinned map?); delete it "
                    + "or pick another map name", e);
        } catch (IOException e) {
            if (created) {
                MapFile.deleteQuietly(path);
            }
            int errno = e.getMessage() != null && e.getMessage().contains("No space") ? Errno.ENOSPC : Errno.EPERM;
            throw new SondeException(errno, "cannot create " + what + " " + path + ": " + e
                    + "; check free space and permissions of the Sonde directory (-Dsonde.dir)", e);
        }
    }

    /** Writes {@code text} to {@code file} (mode 0600) through a temporary file and a rename, so readers never see half. */
    public static void writeAtomically(Path file, String text) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, fileAttribute());
            Files.writeString(tmp, text);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new SondeException(Errno.EPERM, "cannot write " + file + ": " + e
                    + "; check that the Sonde directory is writable", e);
        }
    }
}
