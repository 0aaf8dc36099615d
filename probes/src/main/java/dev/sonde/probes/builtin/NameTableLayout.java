package dev.sonde.probes.builtin;

import dev.sonde.maps.BpfMap;
import java.nio.charset.StandardCharsets;

/**
 * A name table's value: the name behind a {@link NameHash} key, so {@code sonde map dump} and other processes
 * can decode keys. Hash map, 8-byte key = the hash; value = u64 length, then the UTF-8 bytes, truncated to the
 * value size, little-endian words as all map memory.
 *
 * <pre>
 *  0          8                                        valueSize
 *  +----------+----------------------------------------+
 *  | len u64  | name, UTF-8, zero padded (len bytes)   |
 *  +----------+----------------------------------------+
 * </pre>
 */
public final class NameTableLayout {
    public static final int LENGTH_OFFSET = 0;
    public static final int NAME_OFFSET = 8;
    /** The least useful value: the length word and one 8-byte word of name. */
    public static final int MIN_VALUE_SIZE = 16;

    private NameTableLayout() {
    }

    /**
     * Stores {@code name} under its hash unless present. Runs once per new name; ASCII names are written without
     * allocating, others go through one UTF-8 encoding.
     */
    public static int put(BpfMap table, long key, String name) {
        if (table.lookupElem(key) >= 0) {
            return 0;
        }
        long h = table.lookupOrInitElem(key);
        if (h < 0) {
            return (int) h;
        }
        int room = (table.valueSize() - NAME_OFFSET) & ~7;
        int n;
        if (isAscii(name)) {
            n = Math.min(name.length(), room);
            for (int w = 0; w < n; w += 8) {
                long word = 0;
                for (int j = 0; j < 8 && w + j < n; j++) {
                    word |= (long) (name.charAt(w + j) & 0xFF) << (8 * j);
                }
                table.putLong(h, NAME_OFFSET + w, word);
            }
        } else {
            byte[] b = name.getBytes(StandardCharsets.UTF_8);
            n = Math.min(b.length, room);
            for (int w = 0; w < n; w += 8) {
                long word = 0;
                for (int j = 0; j < 8 && w + j < n; j++) {
                    word |= (long) (b[w + j] & 0xFF) << (8 * j);
                }
                table.putLong(h, NAME_OFFSET + w, word);
            }
        }
        table.putLong(h, LENGTH_OFFSET, n);
        return 0;
    }

    /** Reads the name at {@code handle} (control plane: allocates). */
    public static String get(BpfMap table, long handle) {
        int n = (int) Math.min(table.getLong(handle, LENGTH_OFFSET), table.valueSize() - NAME_OFFSET);
        byte[] b = new byte[Math.max(0, n)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (table.getLong(handle, NAME_OFFSET + (i & ~7)) >>> (8 * (i & 7)));
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
