package dev.sonde.probes.builtin;

/**
 * The stable 64-bit key of a name: FNV-1a 64 over its UTF-8 bytes, the same in every JVM and easy to compute
 * from any language, so a reader can decode a key without the name table. Allocation-free.
 */
public final class NameHash {
    private static final long OFFSET_BASIS = 0xcbf29ce484222325L;
    private static final long PRIME = 0x100000001b3L;

    private NameHash() {
    }

    public static long of(CharSequence s) {
        long h = OFFSET_BASIS;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            int cp = s.charAt(i);
            if (Character.isHighSurrogate((char) cp) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                cp = Character.toCodePoint((char) cp, s.charAt(++i));
            }
            if (cp < 0x80) {
                h = (h ^ cp) * PRIME;
            } else if (cp < 0x800) {
                h = (h ^ (0xC0 | (cp >> 6))) * PRIME;
                h = (h ^ (0x80 | (cp & 0x3F))) * PRIME;
            } else if (cp < 0x10000) {
                h = (h ^ (0xE0 | (cp >> 12))) * PRIME;
                h = (h ^ (0x80 | ((cp >> 6) & 0x3F))) * PRIME;
                h = (h ^ (0x80 | (cp & 0x3F))) * PRIME;
            } else {
                h = (h ^ (0xF0 | (cp >> 18))) * PRIME;
                h = (h ^ (0x80 | ((cp >> 12) & 0x3F))) * PRIME;
                h = (h ^ (0x80 | ((cp >> 6) & 0x3F))) * PRIME;
                h = (h ^ (0x80 | (cp & 0x3F))) * PRIME;
            }
        }
        return h;
    }
}
