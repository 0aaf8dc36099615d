package dev.sonde.probes.load;

import java.util.regex.Pattern;

/** {@code *} wildcards to a regular expression; every other character is literal. */
final class Glob {
    private Glob() {
    }

    static Pattern toRegex(String glob) {
        StringBuilder b = new StringBuilder();
        int start = 0;
        for (int i = 0; i < glob.length(); i++) {
            if (glob.charAt(i) == '*') {
                if (i > start) {
                    b.append(Pattern.quote(glob.substring(start, i)));
                }
                b.append(".*");
                start = i + 1;
            }
        }
        if (start < glob.length()) {
            b.append(Pattern.quote(glob.substring(start)));
        }
        return Pattern.compile(b.toString());
    }
}
