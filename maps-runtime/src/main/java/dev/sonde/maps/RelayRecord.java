package dev.sonde.maps;

import java.nio.charset.StandardCharsets;

/** One committed relay record as {@link RelayReader} returns it. */
public final class RelayRecord {
    private final int shard;
    private final long lap;
    private final int offset;
    private final long timestamp;
    private final long epochNanos;
    private final byte[] data;

    RelayRecord(int shard, long lap, int offset, long timestamp, long epochNanos, byte[] data) {
        this.shard = shard;
        this.lap = lap;
        this.offset = offset;
        this.timestamp = timestamp;
        this.epochNanos = epochNanos;
        this.data = data;
    }

    /**
     * The file {@code <base>#<shard>} it was written to: its shard, or for numbers from the map's shard count on
     * ({@link MapSpec#F_RELAY_PRIVATE_SHARDS}) the private file of shard {@code shard - numShards}.
     */
    public int shard() { return shard; }
    /** The sub-buffer lap it sits in: 0 for the first sub-buffer ever written in its shard. */
    public long lap() { return lap; }
    /** Where its header sits in its sub-buffer: with {@link #lap()}, its place in its file's claim order. */
    public int offset() { return offset; }
    /**
     * Its place in its file: records of one file compare in the order they were claimed, whatever their
     * timestamps (a coarse clock gives a millisecond's records one time).
     */
    public long position() { return position(lap, offset); }

    /** {@link #position()} of a record at {@code offset} in lap {@code lap}'s sub-buffer. */
    static long position(long lap, int offset) {
        return lap << 32 | offset;
    }
    /** The writer's {@code System.nanoTime()} at reservation. */
    public long timestamp() { return timestamp; }
    /** Wall-clock time of the reservation, epoch nanoseconds (through the file's clock base). */
    public long epochNanos() { return epochNanos; }
    /** The payload; the caller may keep it. */
    public byte[] data() { return data; }

    public String text() {
        return new String(data, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "RelayRecord{shard " + shard + " lap " + lap + " t " + timestamp + " " + data.length + "B}";
    }
}
