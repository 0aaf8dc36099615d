package dev.sonde.agent;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;

/**
 * The agent's entry points. This class touches nothing but the JDK until the bootstrap classes are appended
 * ({@link BootstrapJar}); the rest starts by reflection in {@code AgentRuntime}, inside the agent's own class
 * loader ({@link AgentLoader}). A failed start is one line on
 * stderr and the application runs on, unless {@code sonde.failFast=true}.
 */
public final class SondeAgent {
    private SondeAgent() {
    }

    /** {@code -javaagent:sonde-agent.jar=config=probes.yaml,dir=...}. */
    public static void premain(String args, Instrumentation inst) {
        start(args, inst, false);
    }

    /** Live attach through the Attach API. */
    public static void agentmain(String args, Instrumentation inst) {
        start(args, inst, true);
    }

    private static void start(String args, Instrumentation inst, boolean attached) {
        boolean failFast = Boolean.getBoolean("sonde.failFast");
        try {
            AgentArgs parsed = AgentArgs.parse(args);
            failFast = parsed.failFast();
            if (parsed.dir() != null && !parsed.dir().isEmpty()) {
                System.setProperty("sonde.dir", parsed.dir());
            }
            BootstrapJar.install(inst);
            MemoryAccess.grant(inst);
            ClassLoader agentLoader = AgentLoader.create(BootstrapJar.agentJar());
            Class.forName("dev.sonde.agent.AgentRuntime", true,
                    agentLoader != null ? agentLoader : SondeAgent.class.getClassLoader())
                    .getMethod("start", String.class, Instrumentation.class, boolean.class)
                    .invoke(null, args, inst, attached);
        } catch (Throwable t) {
            Throwable cause = t instanceof InvocationTargetException && t.getCause() != null ? t.getCause() : t;
            String msg = cause instanceof java.io.IOException
                    ? "cannot write the Sonde directory (" + cause + "); set dir= or -Dsonde.dir to a writable directory"
                    : cause.getMessage() != null ? cause.getMessage() : cause.toString();
            System.err.println("sonde: agent not started: " + msg.replaceAll("\\s*\\R\\s*", " ")
                    + (failFast ? " (sonde.failFast=true: stopping the JVM)"
                            : "; the application runs on without probes (-Dsonde.failFast=true stops it instead)"));
            if (failFast) {
                throw new IllegalStateException("sonde agent not started: " + msg, cause);
            }
        }
    }
}
