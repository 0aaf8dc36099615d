package dev.sonde.probes.load;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.regex.Pattern;

/**
 * Which classes a probe targets: a binary class name with {@code *} wildcards ({@code *} matches any run of
 * characters, dots included), or a type followed by {@code +} for that type and every class extending or
 * implementing it (AspectJ's spelling).
 */
public final class ClassPattern {
    private static final Pattern SYNTAX = Pattern.compile("[\\p{javaJavaIdentifierPart}.$*]+\\+?");

    private final String text;
    private final boolean subtypes;
    private final Pattern regex;

    private ClassPattern(String text) {
        this.text = text;
        this.subtypes = text.endsWith("+");
        String body = subtypes ? text.substring(0, text.length() - 1) : text;
        this.regex = Glob.toRegex(body);
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static ClassPattern of(String text) {
        if (text == null || !SYNTAX.matcher(text).matches() || text.startsWith(".") || text.contains("..")
                || text.startsWith("+") || (text.endsWith("+") && text.contains("*"))) {
            throw new IllegalArgumentException("class pattern '" + text + "' is invalid; write a binary class name "
                    + "such as com.example.Service, with * wildcards (com.example.*Service) or a trailing + for a type "
                    + "and its subtypes (com.example.Handler+)");
        }
        return new ClassPattern(text);
    }

    /** True for {@code Type+}: match {@link #baseName()} and every subtype. */
    public boolean subtypes() { return subtypes; }

    /** For {@code Type+}, the type's name. */
    public String baseName() { return subtypes ? text.substring(0, text.length() - 1) : text; }

    /** Whether the pattern has wildcards (a plain name can be looked up directly). */
    public boolean wildcard() { return text.indexOf('*') >= 0; }

    /** Whether a class of this name matches, by name alone (for {@code Type+}, the type itself). */
    public boolean matchesName(String className) {
        return regex.matcher(className).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}
