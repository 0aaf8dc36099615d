package dev.sonde.maps;

import static dev.sonde.maps.MapHeaderLayout.*;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One memory-mapped map file: the header page of {@link MapHeaderLayout} followed by the data area. Creation
 * writes every byte (zeros) before mapping, so the blocks exist: a full disk fails the create with ENOSPC
 * instead of a SIGBUS on the first write from an application thread.
 */
public final class MapFile {
    private static final int MAX_FILE_SIZE = Integer.MAX_VALUE & ~(PAGE_SIZE - 1);

    private final Path path;
    private final MappedByteBuffer buffer;
    private final boolean writable;

    private MapFile(Path path, MappedByteBuffer buffer, boolean writable) {
        this.path = path;
        this.buffer = buffer;
        this.writable = writable;
    }

    /**
     * Creates {@code path} (mode 0600, which must not exist yet), zero-filled, with the header written and
     * {@code dataSize} bytes of data area after it.
     */
    public static MapFile create(Path path, MapSpec spec, String name, int id, long dataSize) {
        long size = DATA_OFFSET + MapMemory.roundUp(dataSize, PAGE_SIZE);
        if (size > MAX_FILE_SIZE) {
            throw new SondeException(Errno.E2BIG, "map '" + name + "' needs " + size + " bytes, more than the "
                    + MAX_FILE_SIZE + " one map file can map; lower max_entries or the value size");
        }
        MappedByteBuffer buf = SondeDir.createMapped(path, size, "map file");
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        buf.putInt(VERSION_OFFSET, VERSION);
        buf.putInt(TYPE_OFFSET, spec.type().code());
        buf.putInt(KEY_SIZE_OFFSET, spec.keySize());
        buf.putInt(VALUE_SIZE_OFFSET, spec.valueSize());
        buf.putInt(MAX_ENTRIES_OFFSET, spec.maxEntries());
        buf.putInt(NUM_SHARDS_OFFSET, spec.numShards());
        buf.putLong(FLAGS_OFFSET, spec.flags());
        buf.putLong(MAP_EXTRA_OFFSET, spec.mapExtra());
        buf.putInt(ID_OFFSET, id);
        buf.putInt(DATA_OFFSET_OFFSET, DATA_OFFSET);
        buf.putLong(DATA_SIZE_OFFSET, dataSize);
        buf.putLong(PID_OFFSET, ProcessHandle.current().pid());
        buf.putLong(CREATED_OFFSET, System.currentTimeMillis() * 1_000_000L);
        buf.putInt(NAME_LEN_OFFSET, nameBytes.length);
        buf.put(NAME_OFFSET, nameBytes);
        // The magic goes last, with release semantics: a reader that sees it sees a complete header.
        MapMemory.LONG.setRelease(buf, MAGIC_OFFSET, MAGIC);
        return new MapFile(path, buf, true);
    }

    /**
     * Maps an existing map file after checking its header: a truncated file, another version or a file that is not
     * a Sonde map gives a {@link SondeException}, never a buffer exception.
     */
    public static MapFile open(Path path, boolean writable) {
        if (Files.isDirectory(path)) {
            throw notAMap(path, "it is a directory");
        }
        try (FileChannel ch = writable
                ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < DATA_OFFSET) {
                throw notAMap(path, "it is " + size + " bytes, shorter than the " + DATA_OFFSET + "-byte header");
            }
            if (size > MAX_FILE_SIZE) {
                throw notAMap(path, "it is " + size + " bytes, larger than any map file");
            }
            MappedByteBuffer buf = ch.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY,
                    0, size);
            buf.order(ByteOrder.LITTLE_ENDIAN);
            MapFile f = new MapFile(path, buf, writable);
            f.validate(size);
            return f;
        } catch (NoSuchFileException e) {
            throw new SondeException(Errno.ENOENT, "no map file " + path + "; list the maps with `sonde map list <pid>`", e);
        } catch (IOException e) {
            throw new SondeException(Errno.EPERM, "cannot open map file " + path + ": " + e
                    + "; check that it exists and that you own it", e);
        }
    }

    private void validate(long size) {
        long magic = (long) MapMemory.LONG.getAcquire(buffer, MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw notAMap(path, "it does not start with the SONDEMAP magic");
        }
        int version = buffer.getInt(VERSION_OFFSET);
        if (version != VERSION) {
            throw new SondeException(Errno.EINVAL, "map file " + path + " has format version " + version
                    + " but this Sonde reads version " + VERSION + "; read it with the Sonde release that wrote it");
        }
        if (MapType.fromCode(buffer.getInt(TYPE_OFFSET)) == null) {
            throw notAMap(path, "its map type code " + buffer.getInt(TYPE_OFFSET) + " is unknown");
        }
        int nameLen = buffer.getInt(NAME_LEN_OFFSET);
        if (nameLen < 1 || nameLen > NAME_MAX) {
            throw notAMap(path, "its name length " + nameLen + " is out of range");
        }
        if (buffer.getInt(DATA_OFFSET_OFFSET) != DATA_OFFSET || dataSize() < 0 || DATA_OFFSET + dataSize() > size) {
            throw notAMap(path, "it is truncated: the header promises " + dataSize() + " data bytes, the file has "
                    + (size - DATA_OFFSET));
        }
        if (keySize() < 0 || valueSize() < 0 || maxEntries() < 0 || numShards() < 1) {
            throw notAMap(path, "its header has negative sizes");
        }
    }

    private static SondeException notAMap(Path path, String why) {
        return new SondeException(Errno.EINVAL, "not a Sonde map file: " + path + " (" + why
                + "); point at a file under <sonde dir>/<pid>/maps/");
    }

    /** Maps {@code [offset, offset + size)} of the file again, for a type that needs a region with its own mode. */
    public MappedByteBuffer mapRegion(long offset, long size, boolean regionWritable) {
        try (FileChannel ch = regionWritable
                ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(path, StandardOpenOption.READ)) {
            MappedByteBuffer b = ch.map(regionWritable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY,
                    offset, size);
            b.order(ByteOrder.LITTLE_ENDIAN);
            return b;
        } catch (IOException e) {
            throw new SondeException(Errno.EPERM, "cannot map " + path + " [" + offset + ", +" + size + "): " + e
                    + "; check that you own the file", e);
        }
    }

    public Path path() { return path; }
    /** The whole file, header included; little-endian. */
    public MappedByteBuffer buffer() { return buffer; }
    public boolean writable() { return writable; }

    public MapType type() { return MapType.fromCode(buffer.getInt(TYPE_OFFSET)); }
    public int keySize() { return buffer.getInt(KEY_SIZE_OFFSET); }
    public int valueSize() { return buffer.getInt(VALUE_SIZE_OFFSET); }
    public int maxEntries() { return buffer.getInt(MAX_ENTRIES_OFFSET); }
    public int numShards() { return buffer.getInt(NUM_SHARDS_OFFSET); }
    public long flags() { return buffer.getLong(FLAGS_OFFSET); }
    public long mapExtra() { return buffer.getLong(MAP_EXTRA_OFFSET); }
    public int id() { return buffer.getInt(ID_OFFSET); }
    public long dataSize() { return buffer.getLong(DATA_SIZE_OFFSET); }
    public long pid() { return buffer.getLong(PID_OFFSET); }
    public long createdEpochNanos() { return buffer.getLong(CREATED_OFFSET); }

    public String name() {
        byte[] b = new byte[Math.max(0, Math.min(NAME_MAX, buffer.getInt(NAME_LEN_OFFSET)))];
        buffer.get(NAME_OFFSET, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The spec this file was created from (no schema, no inner map), for re-opening it as a map object. */
    public MapSpec spec() {
        return MapSpec.builder(type()).name(name()).keySize(keySize()).valueSize(valueSize())
                .maxEntries(maxEntries()).flags(flags()).mapExtra(mapExtra()).numShards(numShards()).build();
    }

    public void delete() {
        deleteQuietly(path);
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // Best effort: a file we cannot delete stays visible to `sonde map list --dir`, which is harmless.
        }
    }
}
