package dev.sonde.maps;

import static dev.sonde.maps.RelayLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A consistent copy of a live shard file: every sub-buffer is either whole or left out (zeroed, {@code seq} 0),
 * and the write position is the one read before copying, so claims made during the copy are not part of it.
 */
final class RelaySnapshot {
    private RelaySnapshot() {
    }

    static void copy(ByteBuffer live, Path target) {
        RelayImage im = RelayImage.copy(live);
        ByteBuffer b = im.buffer;
        int sbs = b.getInt(SUBBUF_SIZE_OFFSET);
        int n = b.getInt(N_SUBBUFS_OFFSET);
        long current = lapOf(im.pos, sbs);
        for (long lap = Math.max(0, current - n + 1); lap <= current; lap++) {
            int base = (int) subbufOffset((int) (lap & (n - 1)), sbs);
            if (im.reused(lap)) {
                // A newer lap began writing here during the copy: leave the slot out rather than mix laps.
                java.util.Arrays.fill(im.bytes, base, base + sbs, (byte) 0);
            } else if (lap == current) {
                // Bytes past the position read first belong to later claims or older laps: not in this image.
                java.util.Arrays.fill(im.bytes, base + offsetOf(im.pos, sbs), base + sbs, (byte) 0);
            }
        }
        b.putLong(POS_OFFSET, im.pos);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, SondeDir.fileAttribute());
            Files.write(tmp, im.bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            MapFile.deleteQuietly(tmp);
            throw new SondeException(Errno.EPERM, "cannot write relay snapshot " + target + ": " + e
                    + "; check that the snapshot directory is writable and has space", e);
        }
    }
}
