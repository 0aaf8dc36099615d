package dev.sonde.probes.load;

import dev.sonde.probes.Program;

/** One program and where it attaches: the unit the agent matches against classes and methods as they load. */
public final class Binding {
    private final ClassPattern type;
    private final MethodPattern method;
    private final Descriptor descriptor;
    private final Program program;

    public Binding(ClassPattern type, MethodPattern method, Descriptor descriptor, Program program) {
        this.type = type;
        this.method = method;
        this.descriptor = descriptor;
        this.program = program;
    }

    public ClassPattern type() { return type; }
    public MethodPattern method() { return method; }
    /** The overload to pick, or null for all. */
    public Descriptor descriptor() { return descriptor; }
    public Program program() { return program; }

    /** Whether a method of a class that already matched {@link #type()} is a target. */
    public boolean matchesMethod(String name, String desc) {
        return method.matches(name) && (descriptor == null || descriptor.matches(desc));
    }

    @Override
    public String toString() {
        return program.name() + " @ " + type + "." + method + (descriptor == null ? "" : descriptor.toString());
    }
}
