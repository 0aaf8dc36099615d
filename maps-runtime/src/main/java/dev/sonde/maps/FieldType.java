package dev.sonde.maps;

/** Types of the named fields in a key or value schema: the role BTF plays for bpftool's typed dumps. */
public enum FieldType {
    U8(1), U16(2), U32(4), I32(4), U64(8), I64(8),
    /** Nanoseconds: a duration or a timestamp, printed as such. */
    NANOS(8),
    /** A log2 histogram: {@code size / 8} buckets of u64, bucket {@code i} counts values in [2^(i-1), 2^i). */
    LOG2_HIST(0),
    /** UTF-8 text padded with zero bytes. */
    STRING(0),
    BYTES(0);

    private final int fixedSize;

    FieldType(int fixedSize) {
        this.fixedSize = fixedSize;
    }

    /** The size the type implies, or 0 when the field gives it. */
    public int fixedSize() {
        return fixedSize;
    }
}
