package dev.sonde.maps;

/** {@link MapType#RINGBUF} for {@link Maps}. */
final class RingBufFactory implements MapFactory {
    @Override
    public void validate(MapSpec spec) {
        RingBuf.validate(spec);
    }

    @Override
    public long dataSize(MapSpec spec) {
        return RingBufLayout.dataAreaSize(spec.maxEntries());
    }

    @Override
    public BpfMap create(MapSpec spec, int id, MapFile file) {
        file.buffer().putInt(RingBufLayout.PROTOCOL_OFFSET, RingBufLayout.PROTOCOL_ZEROED);
        return new RingBuf(spec, id, file, false, false);
    }

    @Override
    public BpfMap open(MapSpec spec, MapFile file, boolean readOnly) {
        int protocol = file.buffer().getInt(RingBufLayout.PROTOCOL_OFFSET);
        if (protocol != RingBufLayout.PROTOCOL_ZEROED) {
            throw new SondeException(Errno.EINVAL, "ringbuf map file " + file.path() + " uses ring protocol "
                    + protocol + " (records stamped, not zeroed by the consumer), which this Sonde does not read; "
                    + "read it with the Sonde release that wrote it");
        }
        return new RingBuf(spec, file.id(), file, readOnly, true);
    }
}
