package dev.sonde.agent;

import java.lang.reflect.InvocationTargetException;

/** {@code java -jar sonde-agent.jar ...}: runs the {@code sonde} CLI inside the agent's own class loader. */
public final class Launcher {
    private Launcher() {
    }

    public static void main(String[] args) throws Throwable {
        ClassLoader loader = AgentLoader.create(BootstrapJar.agentJar());
        Class<?> cli = Class.forName("dev.sonde.agent.cli.SondeCli", true,
                loader != null ? loader : Launcher.class.getClassLoader());
        Thread.currentThread().setContextClassLoader(cli.getClassLoader());
        try {
            cli.getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
