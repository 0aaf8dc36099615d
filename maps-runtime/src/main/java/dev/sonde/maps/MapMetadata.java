package dev.sonde.maps;

import java.nio.file.Path;
import java.util.List;

/**
 * Writes {@code <name>.json} beside a map file: id, type, sizes, flags and the key and value schemas (BTF's role),
 * so the CLI can print typed values. The binary header stays the authority; this file only adds names.
 * {@code maps-runtime} depends on the JDK alone, hence this small hand-written JSON.
 */
public final class MapMetadata {
    private MapMetadata() {
    }

    public static Path metadataPath(Path mapFile) {
        return mapFile.resolveSibling(mapFile.getFileName() + ".json");
    }

    static void write(BpfMap map) {
        SondeDir.writeAtomically(metadataPath(map.path()), toJson(map));
    }

    static String toJson(BpfMap map) {
        MapSpec s = map.spec();
        StringBuilder b = new StringBuilder(256);
        b.append("{\n");
        b.append("  \"id\": ").append(map.id()).append(",\n");
        b.append("  \"name\": ").append(quote(map.name())).append(",\n");
        b.append("  \"type\": ").append(quote(s.type().bpftoolName())).append(",\n");
        b.append("  \"key_size\": ").append(s.keySize()).append(",\n");
        b.append("  \"value_size\": ").append(s.valueSize()).append(",\n");
        b.append("  \"max_entries\": ").append(s.maxEntries()).append(",\n");
        b.append("  \"flags\": ").append(s.flags()).append(",\n");
        b.append("  \"map_extra\": ").append(s.mapExtra()).append(",\n");
        b.append("  \"num_shards\": ").append(s.numShards()).append(",\n");
        b.append("  \"pid\": ").append(ProcessHandle.current().pid()).append(",\n");
        if (s.innerMap() != null) {
            b.append("  \"inner_map_type\": ").append(quote(s.innerMap().type().bpftoolName())).append(",\n");
        }
        b.append("  \"key_schema\": ");
        fields(b, s.keySchema());
        b.append(",\n  \"value_schema\": ");
        fields(b, s.valueSchema());
        b.append("\n}\n");
        return b.toString();
    }

    private static void fields(StringBuilder b, List<Field> fields) {
        b.append('[');
        for (int i = 0; i < fields.size(); i++) {
            Field f = fields.get(i);
            b.append(i == 0 ? "\n" : ",\n");
            b.append("    {\"name\": ").append(quote(f.name())).append(", \"type\": ")
                    .append(quote(f.type().name().toLowerCase(java.util.Locale.ROOT)))
                    .append(", \"offset\": ").append(f.offset()).append(", \"size\": ").append(f.size()).append('}');
        }
        b.append(fields.isEmpty() ? "]" : "\n  ]");
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
