package dev.sonde.maps;

import static dev.sonde.maps.RelayLayout.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Creates, maps and checks one relay shard file in the format of {@link RelayLayout}. */
final class RelayFile {
    private RelayFile() {
    }

    /** Creates {@code path} (0600, must not exist), zero-filled so a full disk fails here and not on a write. */
    static MappedByteBuffer create(Path path, int subbufSize, int nSubbufs, int shard, int numShards, int flags,
            int mapId, long clockBase) {
        long size = fileSize(subbufSize, nSubbufs);
        MappedByteBuffer b = SondeDir.createMapped(path, size, "relay file");
        b.putInt(VERSION_OFFSET, VERSION);
        b.putInt(HEADER_SIZE_OFFSET, FILE_HEADER_SIZE);
        b.putInt(SUBBUF_SIZE_OFFSET, subbufSize);
        b.putInt(N_SUBBUFS_OFFSET, nSubbufs);
        b.putInt(SHARD_OFFSET, shard);
        b.putInt(NUM_SHARDS_OFFSET, numShards);
        b.putInt(FLAGS_OFFSET, flags);
        b.putInt(SUBBUF_HEADER_SIZE_OFFSET, SUBBUF_HEADER_SIZE);
        b.putLong(PID_OFFSET, ProcessHandle.current().pid());
        b.putLong(CLOCK_BASE_OFFSET, clockBase);
        b.putInt(MAP_ID_OFFSET, mapId);
        b.putInt(RECORD_HEADER_SIZE_OFFSET, RECORD_HEADER_SIZE);
        // Lap 0 starts in slot 0 right away, so the first write never has to switch.
        b.putLong(FILE_HEADER_SIZE + SB_START_OFFSET, System.nanoTime());
        b.putLong(FILE_HEADER_SIZE + SB_SEQ_OFFSET, 1);
        b.putLong(POS_OFFSET, SUBBUF_HEADER_SIZE);
        // The magic goes last, with release: whoever sees it sees a complete header.
        MapMemory.LONG.setRelease(b, MAGIC_OFFSET, MAGIC);
        return b;
    }

    /** Maps an existing shard file after checking its header; a bad or truncated file throws {@link SondeException}. */
    static MappedByteBuffer open(Path path, boolean writable) {
        try (FileChannel ch = writable ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < FILE_HEADER_SIZE) {
                throw bad(path, "it is " + size + " bytes, shorter than the " + FILE_HEADER_SIZE + "-byte header");
            }
            if (size > MAX_FILE_SIZE + FILE_HEADER_SIZE) {
                throw bad(path, "it is " + size + " bytes, larger than any relay file");
            }
            MappedByteBuffer b = ch.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, 0, size);
            b.order(ByteOrder.LITTLE_ENDIAN);
            // Acquire: a header whose magic we see is complete (the creator stores the magic last, with release).
            if (size >= FILE_HEADER_SIZE && (long) MapMemory.LONG.getAcquire(b, MAGIC_OFFSET) != MAGIC) {
                throw bad(path, "it does not start with the SONDERLY magic");
            }
            validate(path, b, size);
            return b;
        } catch (NoSuchFileException e) {
            throw new SondeException(Errno.ENOENT, "no relay file " + path + "; list them with `ls <sonde dir>/<pid>/relay`", e);
        } catch (IOException e) {
            throw new SondeException(Errno.EPERM, "cannot open relay file " + path + ": " + e
                    + "; check that it exists and that you own it", e);
        }
    }

    /**
     * Checks the header of a shard file, mapped or a heap copy, of {@code size} bytes (plain reads: heap buffers
     * allow no atomic access on JDK 25); throws {@link SondeException} on any mismatch.
     */
    static void validate(Path path, ByteBuffer b, long size) {
        if (size < FILE_HEADER_SIZE || b.getLong(MAGIC_OFFSET) != MAGIC) {
            throw bad(path, "it does not start with the SONDERLY magic");
        }
        int version = b.getInt(VERSION_OFFSET);
        if (version != VERSION) {
            throw new SondeException(Errno.EINVAL, "relay file " + path + " has format version " + version
                    + " but this Sonde reads version " + VERSION + "; read it with the Sonde release that wrote it");
        }
        int sbs = b.getInt(SUBBUF_SIZE_OFFSET);
        int n = b.getInt(N_SUBBUFS_OFFSET);
        if (b.getInt(HEADER_SIZE_OFFSET) != FILE_HEADER_SIZE || b.getInt(SUBBUF_HEADER_SIZE_OFFSET) != SUBBUF_HEADER_SIZE
                || b.getInt(RECORD_HEADER_SIZE_OFFSET) != RECORD_HEADER_SIZE) {
            throw bad(path, "its header sizes do not match format version " + VERSION);
        }
        if (sbs < MIN_SUBBUF_SIZE || Integer.bitCount(sbs) != 1 || n < 2 || Integer.bitCount(n) != 1
                || fileSize(sbs, n) > MAX_FILE_SIZE) {
            throw bad(path, "its geometry (" + n + " sub-buffers of " + sbs + " bytes) is invalid");
        }
        if (size < fileSize(sbs, n)) {
            throw bad(path, "it is truncated: " + n + " sub-buffers of " + sbs + " bytes need " + fileSize(sbs, n)
                    + " bytes, the file has " + size);
        }
        long pos = b.getLong(POS_OFFSET);
        if (pos <= 0 || offsetOf(pos, sbs) < SUBBUF_HEADER_SIZE) {
            throw bad(path, "its write position " + pos + " is not inside a sub-buffer");
        }
    }

    private static SondeException bad(Path path, String why) {
        return new SondeException(Errno.EINVAL, "not a Sonde relay file: " + path + " (" + why
                + "); point at a file under <sonde dir>/<pid>/relay/ or a relay snapshot");
    }
}
