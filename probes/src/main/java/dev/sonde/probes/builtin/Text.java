package dev.sonde.probes.builtin;

/** Allocation-free text into a byte buffer, for programs writing lines; every call returns the new position. */
public final class Text {
    private static final byte[] MIN_LONG = "-9223372036854775808".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private Text() {
    }

    /** Copies {@code src}, truncated to what fits before the buffer's last 24 bytes (room for a number and '\n'). */
    public static int put(byte[] b, int p, byte[] src) {
        int n = Math.max(0, Math.min(src.length, b.length - 24 - p));
        System.arraycopy(src, 0, b, p, n);
        return p + n;
    }

    /** The chars of {@code s}, non-ASCII as '?', truncated as {@link #put}. */
    public static int putAscii(byte[] b, int p, String s) {
        int n = Math.max(0, Math.min(s.length(), b.length - 24 - p));
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            b[p + i] = (byte) (c < 0x80 ? c : '?');
        }
        return p + n;
    }

    /** {@code v} in decimal. Needs 20 bytes at most. */
    public static int putLong(byte[] b, int p, long v) {
        if (v == Long.MIN_VALUE) {
            return put(b, p, MIN_LONG);
        }
        if (v < 0) {
            b[p++] = '-';
            v = -v;
        }
        int digits = 1;
        for (long x = v; x >= 10; x /= 10) {
            digits++;
        }
        for (int i = p + digits - 1; i >= p; i--) {
            b[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return p + digits;
    }
}
