package dev.sonde.probes.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads probe files, YAML or JSON, strictly: unknown fields, values of the wrong type and bad patterns are
 * {@link ProbeFileException}s with the line and column Jackson reports and a one-line fix.
 */
public final class ProbeFileParser {
    private static final ObjectMapper YAML = configure(new ObjectMapper(new YAMLFactory()));
    private static final ObjectMapper JSON = configure(new ObjectMapper());

    private ProbeFileParser() {
    }

    private static ObjectMapper configure(ObjectMapper m) {
        m.registerModule(new SimpleModule("sonde-locations").setDeserializerModifier(new LocatingDeserializer.Modifier()));
        m.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        m.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        m.enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS);
        m.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        m.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        m.coercionConfigDefaults().setAcceptBlankAsEmpty(false);
        return m;
    }

    /** Parses {@code file}: JSON when it ends in {@code .json}, YAML otherwise. */
    public static ProbeFile parse(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ProbeFileException(file.toString(), 0, 0, "cannot read the probe file (" + e
                    + "); check the path given as config=", e);
        }
        return parse(file.toString(), text, file.getFileName().toString().endsWith(".json"));
    }

    /** Parses probe-file text; {@code source} names it in messages. */
    public static ProbeFile parse(String source, String text, boolean json) {
        ProbeFile f = null;
        try {
            if (!text.isBlank()) {
                f = (json ? JSON : YAML).readValue(text, ProbeFile.class);
            }
        } catch (JsonProcessingException e) {
            throw translate(source, e);
        }
        if (f == null) { // a YAML document of comments only reads as null
            throw new ProbeFileException(source, 1, 1, "the probe file is empty; declare maps: and probes:", null);
        }
        f.source = source;
        return f;
    }

    private static ProbeFileException translate(String source, JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        int line = loc == null ? 0 : loc.getLineNr();
        int col = loc == null ? 0 : loc.getColumnNr();
        return new ProbeFileException(source, line, col, describe(e), e);
    }

    private static String describe(JsonProcessingException e) {
        String field = e instanceof JsonMappingException ? fieldOf((JsonMappingException) e) : null;
        if (e instanceof UnrecognizedPropertyException) {
            UnrecognizedPropertyException u = (UnrecognizedPropertyException) e;
            TreeSet<String> known = new TreeSet<>();
            if (u.getKnownPropertyIds() != null) {
                for (Object o : u.getKnownPropertyIds()) {
                    known.add(String.valueOf(o));
                }
            }
            return "unknown field '" + u.getPropertyName() + "' in " + what(u.getReferringClass())
                    + "; valid fields: " + String.join(", ", known);
        }
        if (e instanceof ValueInstantiationException && e.getCause() instanceof IllegalArgumentException) {
            return e.getCause().getMessage();
        }
        if (e instanceof InvalidFormatException) {
            InvalidFormatException f = (InvalidFormatException) e;
            return (field == null ? "value" : field) + ": '" + f.getValue() + "' is not " + expected(f.getTargetType())
                    + "; write " + expected(f.getTargetType());
        }
        if (e instanceof MismatchedInputException) {
            MismatchedInputException m = (MismatchedInputException) e;
            return (field == null ? "the document" : field) + " has the wrong shape; write "
                    + expected(m.getTargetType());
        }
        if (e instanceof JacksonException) {
            String m = ((JacksonException) e).getOriginalMessage();
            return "syntax error: " + firstLine(m) + "; fix the " + (e.getClass().getName().contains("yaml") ? "YAML" : "JSON");
        }
        return firstLine(e.getMessage());
    }

    private static String fieldOf(JsonMappingException e) {
        List<JsonMappingException.Reference> path = e.getPath();
        for (int i = path.size() - 1; i >= 0; i--) {
            if (path.get(i).getFieldName() != null) {
                return path.get(i).getFieldName();
            }
        }
        return null;
    }

    private static String what(Class<?> c) {
        if (c == MapDecl.class) {
            return "a map";
        }
        if (c == ProbeDecl.class) {
            return "a probe";
        }
        return c == ProbeFile.class ? "the probe file" : c.getSimpleName();
    }

    private static String expected(Class<?> t) {
        if (t == null) {
            return "a value of the right type";
        }
        if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
            return "a whole number";
        }
        if (t == double.class || t == Double.class) {
            return "a number";
        }
        if (t == boolean.class || t == Boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(t)) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(t) || t == MapDecl.class || t == ProbeDecl.class || t == ProbeFile.class) {
            return "a mapping of fields";
        }
        if (t.isEnum()) {
            StringBuilder b = new StringBuilder("one of");
            for (Object c : t.getEnumConstants()) {
                b.append(' ').append(c.toString().toLowerCase(java.util.Locale.ROOT));
            }
            return b.toString();
        }
        return "a " + t.getSimpleName();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
