package dev.sonde.agent.cli;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The Attach API's failures turned into one line each: the JDK reports them as exceptions whose messages name the
 * cause ("No such process", "is not secure ... owned by", "Operation not permitted") but not the fix.
 */
final class AttachErrors {
    private AttachErrors() {
    }

    static VirtualMachine attach(long pid, String command) {
        try {
            return VirtualMachine.attach(Long.toString(pid));
        } catch (AttachNotSupportedException e) {
            throw new CliError(CliError.FAILED, "JVM " + pid + " does not accept attach (" + e.getMessage() + "); it "
                    + "may run with -XX:+DisableAttachMechanism: start it with -javaagent:sonde-agent.jar instead", e);
        } catch (IOException e) {
            throw translate(pid, command, e);
        }
    }

    static void loadAgent(VirtualMachine vm, long pid, Path jar, String args) {
        try {
            vm.loadAgent(jar.toString(), args);
        } catch (AgentLoadException e) {
            throw new CliError(CliError.FAILED, "JVM " + pid + " refused to load the agent (" + e.getMessage()
                    + "); if it runs with -XX:-EnableDynamicAgentLoading, start it with -javaagent:sonde-agent.jar "
                    + "instead", e);
        } catch (AgentInitializationException e) {
            throw new CliError(CliError.FAILED, "the agent failed to start in JVM " + pid + " (agentmain returned "
                    + e.returnValue() + "); that JVM's stderr has a `sonde:` line saying why", e);
        } catch (IOException e) {
            throw translate(pid, "attach " + pid, e);
        }
    }

    private static CliError translate(long pid, String command, IOException e) {
        String why = String.valueOf(e.getMessage());
        if (why.contains("No such process")) {
            JvmTarget.requireAlive(pid);
        }
        if (why.contains("not secure") || why.contains("Operation not permitted") || why.contains("Permission denied")) {
            String who = JvmTarget.owner(pid);
            return new CliError(CliError.PERMISSION, "JVM " + pid + " refuses this user (" + why + "); attach as its "
                    + "user: sudo -u " + who + " sonde " + command, e);
        }
        return new CliError(CliError.FAILED, "cannot attach to JVM " + pid + " (" + why + "); check that it runs and "
                + "that you are its user, or start it with -javaagent:sonde-agent.jar instead", e);
    }
}
