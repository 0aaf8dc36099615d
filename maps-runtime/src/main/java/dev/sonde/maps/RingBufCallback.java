package dev.sonde.maps;

import java.nio.ByteBuffer;

/** libbpf's {@code ring_buffer_sample_fn}: called once per committed record. */
@FunctionalInterface
public interface RingBufCallback {
    /**
     * @param record a read-only, little-endian view positioned at the record's data with its limit at the record's
     *               end; valid only during the call (it is reused for the next record)
     * @return 0 or more to go on; a negative value stops consumption and is what poll/consume return
     */
    int onRecord(ByteBuffer record);
}
