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
        return new RingBuf(spec, id, file, false, false);
    }

    @Override
    public BpfMap open(MapSpec spec, MapFile file, boolean readOnly) {
        return new RingBuf(spec, file.id(), file, readOnly, true);
    }
}
