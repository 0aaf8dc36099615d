package dev.sonde.probes.load;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.regex.Pattern;

/** A JVM method descriptor, {@code (ILjava/lang/String;)J}, to pick one overload. */
public final class Descriptor {
    private static final String FIELD = "\\[*(?:[ZBCSIJFD]|L[^;.\\[()]+;)";
    private static final Pattern SYNTAX = Pattern.compile("\\((?:" + FIELD + ")*\\)(?:V|" + FIELD + ")");

    private final String text;

    private Descriptor(String text) {
        this.text = text;
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static Descriptor of(String text) {
        if (text == null || !SYNTAX.matcher(text).matches()) {
            throw new IllegalArgumentException("descriptor '" + text + "' is not a JVM method descriptor; write it as "
                    + "javap -s prints it, for example (ILjava/lang/String;)J");
        }
        return new Descriptor(text);
    }

    public boolean matches(String descriptor) {
        return text.equals(descriptor);
    }

    @Override
    public String toString() {
        return text;
    }
}
