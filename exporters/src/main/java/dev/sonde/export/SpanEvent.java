package dev.sonde.export;

import java.nio.ByteBuffer;

/**
 * A Disruptor slot: a copy of one span record, in an array allocated once and grown only for a larger record. Sized
 * for one {@link dev.sonde.probes.builtin.SpanLayout} record, so the slots the drainer writes and the export stage
 * reads stay as few cache lines as the records themselves.
 */
final class SpanEvent {
    byte[] data = new byte[dev.sonde.probes.builtin.SpanLayout.SIZE];
    int length;

    void copyFrom(ByteBuffer rec) {
        int n = rec.remaining();
        if (n > data.length) {
            data = new byte[Integer.highestOneBit(n - 1) << 1];
        }
        rec.get(rec.position(), data, 0, n);
        length = n;
    }
}
