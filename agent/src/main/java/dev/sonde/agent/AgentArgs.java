package dev.sonde.agent;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The agent argument string, {@code config=probes.yaml,dir=/var/tmp/sonde,failFast=true}. A comma inside a value
 * is written {@code \,} and a backslash {@code \\}, as in
 * {@code otel.resource.attributes=team=shop\,env=prod}. Pure JDK: it is read before the bootstrap classes are in
 * place.
 */
final class AgentArgs {
    private final Map<String, String> values;

    private AgentArgs(Map<String, String> values) {
        this.values = values;
    }

    static AgentArgs parse(String args) {
        Map<String, String> m = new LinkedHashMap<>();
        if (args != null && !args.isBlank()) {
            for (String part : split(args)) {
                int eq = part.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("agent argument '" + part + "' is not key=value; write "
                            + "-javaagent:sonde-agent.jar=config=probes.yaml,dir=/path");
                }
                String key = part.substring(0, eq).trim();
                if (!key.equals("config") && !key.equals("dir") && !key.equals("failFast") && !key.startsWith("sonde.")
                        && !key.startsWith("otel.")) {
                    throw new IllegalArgumentException("agent argument '" + key + "' is unknown; use config=, dir=, "
                            + "failFast=, or a sonde.* / otel.* setting such as sonde.export.file=");
                }
                m.put(key, part.substring(eq + 1).trim());
            }
        }
        return new AgentArgs(m);
    }

    /** Splits at commas that are not escaped, and removes the escapes. */
    private static java.util.List<String> split(String args) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < args.length(); i++) {
            char c = args.charAt(i);
            if (c == '\\' && i + 1 < args.length() && (args.charAt(i + 1) == ',' || args.charAt(i + 1) == '\\')) {
                cur.append(args.charAt(++i));
            } else if (c == ',') {
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        parts.add(cur.toString());
        return parts;
    }

    String config() { return values.get("config"); }
    String dir() { return values.get("dir"); }

    /** The {@code sonde.*} and {@code otel.*} settings given as agent arguments: they win over properties and environment. */
    Map<String, String> settings() {
        Map<String, String> m = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith("sonde.") || k.startsWith("otel.")) {
                m.put(k, v);
            }
        });
        return m;
    }

    /**
     * Whether span programs join the application's own OpenTelemetry traces: {@code sonde.appTraceContext=false} (agent
     * argument, system property, or {@code SONDE_APPTRACECONTEXT}) turns it off; on by default.
     */
    boolean appTraceContext() {
        String v = values.get("sonde.appTraceContext");
        if (v == null) {
            v = System.getProperty("sonde.appTraceContext", System.getenv("SONDE_APPTRACECONTEXT"));
        }
        if (v == null || v.isBlank() || v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("sonde.appTraceContext='" + v + "' is not true or false; write "
                + "sonde.appTraceContext=false to keep spans out of the application's traces");
    }

    /** {@code failFast=true} in the arguments, or {@code -Dsonde.failFast=true}. */
    boolean failFast() {
        return Boolean.parseBoolean(values.getOrDefault("failFast", System.getProperty("sonde.failFast", "false")));
    }
}
