package dev.sonde.agent.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * bpftool's way of writing bytes on the command line: {@code key 1 0 0 0}, {@code key 0x01 0 0 0},
 * {@code key hex 01 00 00 00}. As a shorthand, a single decimal number for a 4- or 8-byte key or value is that
 * integer, little-endian.
 */
final class ByteArgs {
    private ByteArgs() {
    }

    /** Parses the words after {@code what} (e.g. "key") up to the next keyword in {@code stops}. */
    static byte[] parse(List<String> words, String what, int size, List<String> stops) {
        int at = words.indexOf(what);
        if (at < 0) {
            throw new CliError(CliError.USAGE, "missing '" + what + "': write " + what + " followed by " + size
                    + " bytes, e.g. `" + what + " hex" + " 00".repeat(Math.max(1, size)) + "`");
        }
        List<String> toks = new ArrayList<>();
        for (int i = at + 1; i < words.size() && !stops.contains(words.get(i)); i++) {
            toks.add(words.get(i));
        }
        boolean hex = !toks.isEmpty() && toks.get(0).equals("hex");
        if (hex) {
            toks.remove(0);
            List<String> split = new ArrayList<>();
            for (String t : toks) {
                for (int i = 0; i < t.length(); i += 2) {
                    split.add(t.substring(i, Math.min(t.length(), i + 2)));
                }
            }
            toks = split;
        }
        if (!hex && toks.size() == 1 && (size == 4 || size == 8) && toks.get(0).matches("-?\\d+")) {
            ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            long v = Long.parseLong(toks.get(0));
            if (size == 4) {
                b.putInt((int) v);
            } else {
                b.putLong(v);
            }
            return b.array();
        }
        if (toks.size() != size) {
            throw new CliError(CliError.USAGE, what + " must be " + size + " bytes, got " + toks.size()
                    + "; write e.g. `" + what + " hex" + " 00".repeat(Math.max(1, size)) + "`"
                    + (size == 4 || size == 8 ? " or a single decimal integer" : ""));
        }
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            String t = toks.get(i);
            try {
                int v = hex ? Integer.parseInt(t, 16) : Integer.decode(t);
                if (v < -128 || v > 255) {
                    throw new NumberFormatException();
                }
                out[i] = (byte) v;
            } catch (NumberFormatException e) {
                throw new CliError(CliError.USAGE, "'" + t + "' in " + what + " is not a byte; write bytes as 0..255, "
                        + "0x00..0xff, or use `" + what + " hex ...`");
            }
        }
        return out;
    }
}
