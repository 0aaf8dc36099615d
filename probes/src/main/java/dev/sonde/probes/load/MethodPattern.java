package dev.sonde.probes.load;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.regex.Pattern;

/** Which methods of a matched class a probe targets: a method name with {@code *} wildcards. Constructors are not probed. */
public final class MethodPattern {
    private static final Pattern SYNTAX = Pattern.compile("[\\p{javaJavaIdentifierPart}$*]+");

    private final String text;
    private final Pattern regex;

    private MethodPattern(String text) {
        this.text = text;
        this.regex = Glob.toRegex(text);
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static MethodPattern of(String text) {
        if (text == null || !SYNTAX.matcher(text).matches()) {
            throw new IllegalArgumentException("method pattern '" + text + "' is invalid; write a method name such "
                    + "as handle, with * wildcards (get*), and pick an overload with descriptor");
        }
        return new MethodPattern(text);
    }

    public boolean matches(String methodName) {
        return regex.matcher(methodName).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}
