package dev.sonde.maps;

import static dev.sonde.maps.RelayLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Pattern;

/**
 * Where a relay's shard files are: the base name kept in the map file's type area, and the rename that the
 * proposal's map update performs ({@code relay_late_setup_files()} naming the files). Control plane only.
 */
final class RelayNames {
    private static final Pattern BASE = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");

    private final BpfMap map;
    private final ByteBuffer header;
    private final Path dir;

    RelayNames(BpfMap map, MapFile file, Path dir) {
        this.map = map;
        this.header = file.buffer();
        this.dir = dir;
    }

    /** The key's index, read as the little-endian u32 an array key is. */
    static int index(byte[] key) {
        return (key[0] & 0xFF) | (key[1] & 0xFF) << 8 | (key[2] & 0xFF) << 16 | (key[3] & 0xFF) << 24;
    }

    synchronized String base() {
        int len = header.getInt(MAP_BASE_LEN_OFFSET);
        byte[] b = new byte[Math.max(0, Math.min(NAME_VALUE_SIZE, len))];
        header.get(MAP_BASE_OFFSET, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The base name, zero padded into {@code value} (64 bytes). */
    synchronized void baseBytes(byte[] value) {
        java.util.Arrays.fill(value, (byte) 0);
        int len = Math.max(0, Math.min(NAME_VALUE_SIZE, header.getInt(MAP_BASE_LEN_OFFSET)));
        header.get(MAP_BASE_OFFSET, value, 0, len);
    }

    synchronized void writeBase(String base, int renames) {
        byte[] b = base.getBytes(StandardCharsets.UTF_8);
        header.put(MAP_BASE_OFFSET, new byte[NAME_VALUE_SIZE]);
        header.put(MAP_BASE_OFFSET, b);
        header.putInt(MAP_BASE_LEN_OFFSET, b.length);
        header.putInt(MAP_RENAMES_OFFSET, renames);
    }

    Path shardPath(int shard) {
        return dir.resolve(fileName(base(), shard));
    }

    /** Renames every shard file to the base name in {@code value}; on failure the old names are restored. */
    synchronized int rename(byte[] value) {
        int len = 0;
        while (len < value.length && value[len] != 0) {
            len++;
        }
        for (int i = len; i < value.length; i++) {
            if (value[i] != 0) {
                return -Errno.EINVAL;
            }
        }
        String next = new String(value, 0, len, StandardCharsets.UTF_8);
        if (!BASE.matcher(next).matches()) {
            return -Errno.EINVAL;
        }
        String cur = base();
        if (next.equals(cur)) {
            return 0;
        }
        int n = RelayMap.numFiles(map.spec());
        for (int i = 0; i < n; i++) {
            if (Files.exists(dir.resolve(fileName(next, i)))) {
                return -Errno.EEXIST;
            }
        }
        int moved = 0;
        try {
            for (; moved < n; moved++) {
                // The mappings follow the inode, so writers go on undisturbed while the names change.
                Files.move(dir.resolve(fileName(cur, moved)), dir.resolve(fileName(next, moved)),
                        StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            for (int i = moved - 1; i >= 0; i--) {
                try {
                    Files.move(dir.resolve(fileName(next, i)), dir.resolve(fileName(cur, i)),
                            StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException ignored) {
                    // Best effort: the error below already tells the caller the rename failed.
                }
            }
            return e instanceof FileAlreadyExistsException ? -Errno.EEXIST : -Errno.EPERM;
        }
        writeBase(next, header.getInt(MAP_RENAMES_OFFSET) + 1);
        return 0;
    }

    void deleteFiles() {
        int n = RelayMap.numFiles(map.spec());
        String base = base();
        for (int i = 0; i < n; i++) {
            MapFile.deleteQuietly(dir.resolve(fileName(base, i)));
        }
    }
}
