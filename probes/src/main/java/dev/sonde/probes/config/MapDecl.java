package dev.sonde.probes.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sonde.maps.MapType;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** A map in a probe file's {@code maps} list, as a libbpf map definition. */
public final class MapDecl extends Located {
    @JsonProperty public String name;
    @JsonProperty public TypeName type;
    @JsonProperty public int keySize;
    @JsonProperty public int valueSize;
    @JsonProperty public int maxEntries;
    /** {@code none} (default) or {@code by_name}: keep the map file after the map is freed, as libbpf's LIBBPF_PIN_BY_NAME. */
    @JsonProperty public Pinning pinning = Pinning.NONE;
    /** Shards of a per-shard map or relay; 0 for the default. */
    @JsonProperty public int numShards;
    /** Relay only: bytes per sub-buffer and sub-buffers per shard. */
    @JsonProperty public int subbufSize;
    @JsonProperty public int nSubbufs;
    /** Overwrite mode of a relay or ringbuf (the flight recorder). */
    @JsonProperty public boolean overwrite;
    /**
     * Relay only: a private file per shard, which a thread that fills a sub-buffer alone writes without a CAS
     * ({@code MapSpec.F_RELAY_PRIVATE_SHARDS}).
     */
    @JsonProperty public boolean privateShards;
    /**
     * STRUCT_OPS only: the policy the map registers. {@code ratio} registers a {@code sampling_ops} whose
     * {@code should_sample} records the share {@link #ratio} of spans (RatioSampler).
     */
    @JsonProperty public String policy;
    /** The share of spans policy {@code ratio} records, 0 to 1. */
    @JsonProperty public Double ratio;

    /** A map type as bpftool spells it ({@code hash}, {@code percpu_array}, ...). */
    public static final class TypeName {
        public final MapType type;

        private TypeName(MapType type) {
            this.type = type;
        }

        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        public static TypeName of(String s) {
            for (MapType t : MapType.values()) {
                if (t.bpftoolName().equals(s == null ? "" : s.toLowerCase(Locale.ROOT))) {
                    return new TypeName(t);
                }
            }
            throw new IllegalArgumentException("map type '" + s + "' is unknown; use one of "
                    + Arrays.stream(MapType.values()).map(MapType::bpftoolName).collect(Collectors.joining(", ")));
        }
    }

    public enum Pinning {
        @JsonProperty("none") NONE,
        @JsonProperty("by_name") BY_NAME
    }
}
