package dev.sonde.maps;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;

/** Shared helpers for the relay tests: specs, and self-checking records (thread, sequence, checksum). */
final class RelayTestSupport {
    private static final AtomicInteger NAMES = new AtomicInteger();

    private RelayTestSupport() {
    }

    static MapSpec.Builder spec(int subbufSize, int nSubbufs, int shards, boolean overwrite) {
        return MapSpec.builder(MapType.RELAY).name("relay_t" + NAMES.incrementAndGet()).keySize(4).valueSize(64)
                .subbufSize(subbufSize).nSubbufs(nSubbufs).numShards(shards)
                .flags(overwrite ? MapSpec.F_RELAY_OVERWRITE : 0);
    }

    static RelayMap create(int subbufSize, int nSubbufs, int shards, boolean overwrite) {
        return (RelayMap) Maps.create(spec(subbufSize, nSubbufs, shards, overwrite).build());
    }

    /** As {@link #create}, with {@link MapSpec#F_RELAY_PRIVATE_SHARDS} when {@code privateShards}. */
    static RelayMap create(int subbufSize, int nSubbufs, int shards, boolean overwrite, boolean privateShards) {
        MapSpec.Builder b = spec(subbufSize, nSubbufs, shards, overwrite);
        return (RelayMap) Maps.create(b.flags((overwrite ? MapSpec.F_RELAY_OVERWRITE : 0)
                | (privateShards ? MapSpec.F_RELAY_PRIVATE_SHARDS : 0)).build());
    }

    /** Payload size of record {@code seq}: 20..(20+span), deterministic, so sizes mix. */
    static int sizeOf(long seq, int span) {
        long h = (seq + 1) * 0x9E3779B97F4A7C15L;
        return 20 + (int) ((h >>> 40) % (span + 1));
    }

    /** Fills {@code buf[0, size)}: thread u32, seq u64, filler, checksum u64 over the rest. */
    static void fill(byte[] buf, int size, int thread, long seq) {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, thread);
        b.putLong(4, seq);
        for (int i = 12; i < size - 8; i++) {
            buf[i] = (byte) (seq * 31 + i * 7 + thread);
        }
        b.putLong(size - 8, checksum(buf, size - 8));
    }

    static long checksum(byte[] buf, int len) {
        long h = 0xCBF29CE484222325L;
        for (int i = 0; i < len; i++) {
            h = (h ^ (buf[i] & 0xFF)) * 0x100000001B3L;
        }
        return h;
    }

    /** True when {@code data} is a record {@link #fill} wrote, untorn. */
    static boolean valid(byte[] data) {
        if (data.length < 20) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        return b.getLong(data.length - 8) == checksum(data, data.length - 8);
    }

    static int thread(byte[] data) {
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    }

    static long seq(byte[] data) {
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getLong(4);
    }

    /**
     * An independent model of one shard's sub-buffer filling: the lap each record of the given sizes lands in,
     * when every write succeeds (overwrite mode, one writer).
     */
    static long[] laps(int[] sizes, int subbufSize) {
        long[] laps = new long[sizes.length];
        long lap = 0;
        int off = 32;
        for (int i = 0; i < sizes.length; i++) {
            int need = 16 + ((sizes[i] + 7) & ~7);
            if (off + need > subbufSize) {
                lap++;
                off = 32;
            }
            laps[i] = lap;
            off += need;
        }
        return laps;
    }
}
