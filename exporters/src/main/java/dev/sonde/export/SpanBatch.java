package dev.sonde.export;

import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * A batch of decoded spans, the collection handed to the exporter, and the pool of its span objects: after its
 * export completes, {@link SpanBatcher} clears it and fills the same {@link SondeSpanData} objects again, so a
 * steady stream of records allocates no spans (the number of batches alive is bounded by the pending bound).
 */
final class SpanBatch extends AbstractList<SpanData> implements RandomAccess {
    private final SondeSpanData[] spans;
    private final Resource resource;
    private int size;

    SpanBatch(int capacity, Resource resource) {
        this.spans = new SondeSpanData[capacity];
        this.resource = resource;
    }

    /** The span object to decode the next record into; {@link #add()} keeps it. Only while not full. */
    SondeSpanData next() {
        SondeSpanData s = spans[size];
        if (s == null) {
            s = spans[size] = new SondeSpanData(resource);
        }
        return s;
    }

    /** Keeps the span {@link #next()} returned. */
    void add() {
        size++;
    }

    boolean isFull() {
        return size == spans.length;
    }

    @Override
    public void clear() {
        size = 0;
    }

    @Override
    public SpanData get(int i) {
        if (i >= size) {
            throw new IndexOutOfBoundsException(i + " of " + size);
        }
        return spans[i];
    }

    @Override
    public int size() {
        return size;
    }
}
