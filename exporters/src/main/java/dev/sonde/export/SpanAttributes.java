package dev.sonde.export;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A decoded span's attributes, refilled for each record its {@link SondeSpanData} is reused for: keys and values in
 * two fixed arrays, so decoding builds no builder, list or sorted copy per span (the SDK's {@code Attributes.builder()}
 * does). Keys are distinct by construction (the decoder puts each once). Read by the exporter only while the
 * batch holding it is in flight.
 */
final class SpanAttributes implements Attributes {
    private final AttributeKey<?>[] keys;
    private final Object[] values;
    private int size;

    SpanAttributes(int capacity) {
        keys = new AttributeKey<?>[capacity];
        values = new Object[capacity];
    }

    void clear() {
        for (int i = 0; i < size; i++) {
            values[i] = null; // no boxed value kept alive past its span
        }
        size = 0;
    }

    <T> void put(AttributeKey<T> key, T value) {
        keys[size] = key;
        values[size++] = value;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T get(AttributeKey<T> key) {
        for (int i = 0; i < size; i++) {
            if (keys[i].equals(key)) {
                return (T) values[i];
            }
        }
        return null;
    }

    @Override
    public void forEach(BiConsumer<? super AttributeKey<?>, ? super Object> consumer) {
        for (int i = 0; i < size; i++) {
            consumer.accept(keys[i], values[i]);
        }
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public Map<AttributeKey<?>, Object> asMap() {
        Map<AttributeKey<?>, Object> m = new LinkedHashMap<>();
        forEach(m::put);
        return m;
    }

    @Override
    @SuppressWarnings("unchecked")
    public AttributesBuilder toBuilder() {
        AttributesBuilder b = Attributes.builder();
        for (int i = 0; i < size; i++) {
            b.put((AttributeKey<Object>) keys[i], values[i]);
        }
        return b;
    }

    @Override
    public String toString() {
        return asMap().toString();
    }
}
