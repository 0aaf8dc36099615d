package dev.sonde.maps;

import static dev.sonde.maps.RelayLayout.*;

/** The relay's rules: the proposal's one-element key/value for the file name, geometry in {@code map_extra}. */
final class RelayFactory implements MapFactory {
    static final RelayFactory INSTANCE = new RelayFactory();
    private static final long FLAGS = MapSpec.F_RELAY_OVERWRITE | MapSpec.F_RELAY_COARSE_CLOCK
            | MapSpec.F_RELAY_PRIVATE_SHARDS;

    private RelayFactory() {
    }

    @Override
    public void validate(MapSpec spec) {
        String what = spec.name() == null ? "relay map" : "relay map '" + spec.name() + "'";
        if (spec.keySize() != KEY_SIZE || spec.valueSize() != NAME_VALUE_SIZE) {
            throw new SondeException(Errno.EINVAL, what + ": key_size " + spec.keySize() + " and value_size "
                    + spec.valueSize() + " must be " + KEY_SIZE + " and " + NAME_VALUE_SIZE
                    + " (key 0, value = base name of the files); use keySize(4).valueSize(64)");
        }
        if (spec.maxEntries() != 0) {
            throw new SondeException(Errno.EINVAL, what + ": max_entries must be 0, the size is in map_extra; "
                    + "use subbufSize(..) and nSubbufs(..) instead of maxEntries(" + spec.maxEntries() + ")");
        }
        if ((spec.flags() & ~FLAGS) != 0) {
            throw new SondeException(Errno.EINVAL, what + ": flags 0x" + Long.toHexString(spec.flags())
                    + " are not supported; a relay accepts only F_RELAY_OVERWRITE, F_RELAY_COARSE_CLOCK and F_RELAY_PRIVATE_SHARDS");
        }
        int sbs = spec.subbufSize();
        int n = spec.nSubbufs();
        if (sbs < MIN_SUBBUF_SIZE || Integer.bitCount(sbs) != 1) {
            throw new SondeException(Errno.EINVAL, what + ": subbufSize " + sbs + " must be a power of two of at "
                    + "least " + MIN_SUBBUF_SIZE + "; for example subbufSize(4096)");
        }
        if (n < 2 || Integer.bitCount(n) != 1) {
            throw new SondeException(Errno.EINVAL, what + ": nSubbufs " + n + " must be a power of two of at least 2; "
                    + "for example nSubbufs(8)");
        }
        if (fileSize(sbs, n) > MAX_FILE_SIZE) {
            throw new SondeException(Errno.E2BIG, what + ": " + n + " sub-buffers of " + sbs + " bytes exceed the "
                    + MAX_FILE_SIZE + "-byte limit of one shard file; lower subbufSize or nSubbufs");
        }
    }

    @Override
    public long dataSize(MapSpec spec) {
        return 0;
    }

    @Override
    public BpfMap create(MapSpec spec, int id, MapFile file) {
        return new RelayMap(spec, id, file);
    }

    @Override
    public BpfMap open(MapSpec spec, MapFile file, boolean readOnly) {
        return new RelayMap(spec, file, readOnly);
    }
}
