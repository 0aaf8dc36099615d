package dev.sonde.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Log2Histogram;
import dev.sonde.maps.MapMetadata;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns raw keys and values into typed output through the schema in {@code <map>.json} (the role BTF plays for
 * bpftool): named fields as numbers, strings and log2 histograms. Without a schema, 4-byte keys and values print as
 * unsigned integers, 8-byte ones as signed longs (Java's {@code long}), anything else as hex bytes.
 */
final class ValueFormatter {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final List<FieldDef> keyFields;
    private final List<FieldDef> valueFields;

    private ValueFormatter(List<FieldDef> keyFields, List<FieldDef> valueFields) {
        this.keyFields = keyFields;
        this.valueFields = valueFields;
    }

    static final class FieldDef {
        final String name;
        final String type;
        final int offset;
        final int size;

        FieldDef(String name, String type, int offset, int size) {
            this.name = name;
            this.type = type;
            this.offset = offset;
            this.size = size;
        }
    }

    static ValueFormatter forMap(BpfMap map) {
        Path meta = MapMetadata.metadataPath(map.path());
        List<FieldDef> k = new ArrayList<>();
        List<FieldDef> v = new ArrayList<>();
        if (Files.isRegularFile(meta)) {
            try {
                JsonNode root = new ObjectMapper().readTree(meta.toFile());
                read(root.path("key_schema"), k);
                read(root.path("value_schema"), v);
            } catch (IOException e) {
                System.err.println("sonde: ignoring unreadable schema " + meta + ": " + e.getMessage());
            }
        }
        return new ValueFormatter(k, v);
    }

    private static void read(JsonNode fields, List<FieldDef> into) {
        for (JsonNode f : fields) {
            into.add(new FieldDef(f.path("name").asText(), f.path("type").asText(), f.path("offset").asInt(),
                    f.path("size").asInt()));
        }
    }

    boolean hasValueSchema() {
        return !valueFields.isEmpty();
    }

    JsonNode key(byte[] key) {
        return typed(key, 0, key.length, keyFields);
    }

    JsonNode value(byte[] value, int offset, int length) {
        return typed(value, offset, length, valueFields);
    }

    /** The log2 histogram fields of a value, summed over {@code slots} (one per shard), by field name. */
    List<String> histogramNames() {
        List<String> names = new ArrayList<>();
        for (FieldDef f : valueFields) {
            if (f.type.equals("log2_hist")) {
                names.add(f.name);
            }
        }
        return names;
    }

    long[] histogram(String field, byte[] value, int slotSize, int slots) {
        for (FieldDef f : valueFields) {
            if (f.name.equals(field)) {
                long[] counts = new long[f.size / 8];
                ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
                for (int s = 0; s < slots; s++) {
                    for (int i = 0; i < counts.length; i++) {
                        counts[i] += b.getLong(s * slotSize + f.offset + i * 8);
                    }
                }
                return counts;
            }
        }
        return new long[0];
    }

    private static JsonNode typed(byte[] bytes, int offset, int length, List<FieldDef> fields) {
        ByteBuffer b = ByteBuffer.wrap(bytes, offset, length).slice().order(ByteOrder.LITTLE_ENDIAN);
        if (fields.isEmpty()) {
            if (length == 4) {
                return F.numberNode(Integer.toUnsignedLong(b.getInt(0)));
            }
            if (length == 8) {
                return F.numberNode(b.getLong(0));
            }
            return F.textNode(hex(bytes, offset, length));
        }
        ObjectNode o = F.objectNode();
        for (FieldDef f : fields) {
            o.set(f.name, field(b, f));
        }
        return o;
    }

    private static JsonNode field(ByteBuffer b, FieldDef f) {
        switch (f.type) {
            case "u8": return F.numberNode(b.get(f.offset) & 0xFF);
            case "u16": return F.numberNode(b.getShort(f.offset) & 0xFFFF);
            case "u32": return F.numberNode(Integer.toUnsignedLong(b.getInt(f.offset)));
            case "i32": return F.numberNode(b.getInt(f.offset));
            case "u64":
            case "i64":
            case "nanos": return F.numberNode(b.getLong(f.offset));
            case "string": {
                byte[] s = new byte[f.size];
                b.get(f.offset, s);
                int n = 0;
                while (n < s.length && s[n] != 0) {
                    n++;
                }
                return F.textNode(new String(s, 0, n, StandardCharsets.UTF_8));
            }
            case "log2_hist": {
                ArrayNode a = F.arrayNode();
                for (int i = 0; i < f.size / 8; i++) {
                    a.add(b.getLong(f.offset + i * 8));
                }
                return a;
            }
            default: {
                byte[] raw = new byte[f.size];
                b.get(f.offset, raw);
                return F.textNode(hex(raw, 0, raw.length));
            }
        }
    }

    static String hex(byte[] b, int offset, int length) {
        StringBuilder s = new StringBuilder(length * 3);
        for (int i = 0; i < length; i++) {
            if (i > 0) {
                s.append(' ');
            }
            s.append(String.format("%02x", b[offset + i] & 0xFF));
        }
        return s.toString();
    }

    /** bpftool's JSON for raw bytes: {@code ["0x01","0x00",...]}. */
    static ArrayNode hexArray(byte[] b, int offset, int length) {
        ArrayNode a = F.arrayNode();
        for (int i = 0; i < length; i++) {
            a.add(String.format("0x%02x", b[offset + i] & 0xFF));
        }
        return a;
    }

    static String histogramText(long[] counts) {
        return Log2Histogram.format(counts);
    }
}
