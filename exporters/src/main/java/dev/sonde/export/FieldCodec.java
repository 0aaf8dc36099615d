package dev.sonde.export;

import dev.sonde.maps.Field;
import dev.sonde.maps.FieldType;
import io.opentelemetry.api.common.AttributesBuilder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Reads schema fields out of key and value bytes (little-endian, as map files are) and turns keys into attributes. */
final class FieldCodec {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private FieldCodec() {
    }

    /** An integral field's value: unsigned types zero-extended, signed ones sign-extended. */
    static long readLong(byte[] b, int off, FieldType type) {
        switch (type) {
            case U8: return b[off] & 0xFFL;
            case U16: return (b[off] & 0xFFL) | (b[off + 1] & 0xFFL) << 8;
            case U32: return le(b, off, 4);
            case I32: return (int) le(b, off, 4);
            default: return le(b, off, 8);
        }
    }

    static long le(byte[] b, int off, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xFFL);
        }
        return v;
    }

    static boolean integral(FieldType t) {
        switch (t) {
            case U8: case U16: case U32: case I32: case U64: case I64:
                return true;
            default:
                return false;
        }
    }

    static boolean signed(FieldType t) {
        return t == FieldType.I32 || t == FieldType.I64;
    }

    /**
     * The key as attributes: one per key-schema field; without a schema a 4- or 8-byte key is the number
     * {@code key} (a 4-byte array index is unsigned) and any other key its hex bytes.
     */
    static void keyAttributes(byte[] key, List<Field> schema, AttributesBuilder out) {
        if (schema.isEmpty()) {
            if (key.length == 4 || key.length == 8) {
                out.put("key", le(key, 0, key.length));
            } else {
                out.put("key", hex(key, 0, key.length));
            }
            return;
        }
        for (Field f : schema) {
            if (integral(f.type()) || f.type() == FieldType.NANOS) {
                out.put(f.name(), readLong(key, f.offset(), f.type()));
            } else if (f.type() == FieldType.STRING) {
                int end = f.offset();
                while (end < f.offset() + f.size() && key[end] != 0) {
                    end++;
                }
                out.put(f.name(), new String(key, f.offset(), end - f.offset(), StandardCharsets.UTF_8));
            } else {
                out.put(f.name(), hex(key, f.offset(), f.size()));
            }
        }
    }

    static String hex(byte[] b, int off, int len) {
        char[] c = new char[len * 2];
        for (int i = 0; i < len; i++) {
            c[2 * i] = HEX[(b[off + i] >> 4) & 0xF];
            c[2 * i + 1] = HEX[b[off + i] & 0xF];
        }
        return new String(c);
    }
}
