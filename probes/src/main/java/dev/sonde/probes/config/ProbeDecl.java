package dev.sonde.probes.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sonde.probes.load.ClassPattern;
import dev.sonde.probes.load.Descriptor;
import dev.sonde.probes.load.MethodPattern;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A probe in a probe file's {@code probes} list: where (class and method patterns, an optional descriptor), what
 * ({@code program}: a built-in name or a Java program class) and with which maps and options.
 */
public final class ProbeDecl extends Located {
    /** Optional name in progs.json; defaults to the program and the position in the file. */
    @JsonProperty public String name;
    @JsonProperty("class") public ClassPattern type;
    @JsonProperty public MethodPattern method;
    @JsonProperty public Descriptor descriptor;
    @JsonProperty public String program;
    @JsonProperty public List<String> maps = new ArrayList<>();
    @JsonProperty public Map<String, JsonNode> options = new LinkedHashMap<>();
}
