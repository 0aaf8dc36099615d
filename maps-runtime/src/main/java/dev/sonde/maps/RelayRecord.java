package dev.sonde.maps;

import java.nio.charset.StandardCharsets;

/** One committed relay record as {@link RelayReader} returns it. */
public final class RelayRecord {
    private final int shard;
    private final long lap;
    private final long timestamp;
    private final long epochNanos;
    private final byte[] data;

    RelayRecord(int shard, long lap, long timestamp, long epochNanos, byte[] data) {
        this.shard = shard;
        this.lap = lap;
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
