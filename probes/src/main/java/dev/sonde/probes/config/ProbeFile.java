package dev.sonde.probes.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;

/** A parsed probe file (YAML or JSON): the maps to create and the probes to attach. */
public final class ProbeFile {
    @JsonProperty public List<MapDecl> maps = new ArrayList<>();
    @JsonProperty public List<ProbeDecl> probes = new ArrayList<>();
    /** The file's name, for error messages. */
    @JsonIgnore public String source = "<probes>";
}
