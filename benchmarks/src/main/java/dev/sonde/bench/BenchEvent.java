package dev.sonde.bench;

/** The Disruptor's preallocated event: the producer copies its payload in, as Sonde copies into the ring. */
public final class BenchEvent {
    public final byte[] data = new byte[64];
    public int length;
}
