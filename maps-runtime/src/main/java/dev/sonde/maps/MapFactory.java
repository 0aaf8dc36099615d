package dev.sonde.maps;

/** What each map type provides to {@link Maps}: its own checks, its memory size, and how to make and open it. */
interface MapFactory {
    /** The type's own rules on sizes, entries and flags; throws {@link SondeException} before any file exists. */
    void validate(MapSpec spec);

    /** The spec the map is made with, after {@link #validate}: the type may adjust it as the kernel would. */
    default MapSpec adjust(MapSpec spec) {
        return spec;
    }

    /** Bytes of data area the map needs after the header page. */
    long dataSize(MapSpec spec);

    /** A new map over a freshly created, zeroed file. */
    BpfMap create(MapSpec spec, int id, MapFile file);

    /** A map over an existing file, from another process or after its JVM died. */
    BpfMap open(MapSpec spec, MapFile file, boolean readOnly);
}
