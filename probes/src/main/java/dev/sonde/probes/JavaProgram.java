package dev.sonde.probes;

import dev.sonde.maps.BpfMap;

/** A program written in Java: one {@link OnEntry}/{@link OnExit}/{@link OnException} method of a program class. */
public final class JavaProgram extends Program {
    private final ProbeFunction fn;
    private final String[] argTypes;

    public JavaProgram(String name, ProbeKind kind, BpfMap[] maps, ProbeFunction fn, String[] argTypes) {
        super(name, "java", kind, maps);
        this.fn = fn;
        this.argTypes = argTypes.clone();
        if (argTypes.length > ProbeContext.MAX_ARGS) {
            close();
            throw refuse("it reads " + argTypes.length + " arguments but probes see the first " + ProbeContext.MAX_ARGS
                    + "; list at most " + ProbeContext.MAX_ARGS + " types in args");
        }
    }

    @Override
    public void checkTarget(TargetMethod m) {
        for (int i = 0; i < argTypes.length; i++) {
            String want = argTypes[i];
            if (want.equals("?") || want.isEmpty()) {
                continue;
            }
            if (i >= m.paramCount()) {
                throw refuse("it reads argument " + i + " (" + want + ") but " + m + " has " + m.paramCount()
                        + " parameters; narrow the method pattern or the descriptor");
            }
            if (!want.equals(m.paramType(i))) {
                throw refuse("it reads argument " + i + " as " + want + " but it is a " + m.paramType(i) + " in " + m
                        + "; fix args or pick the overload with a descriptor");
            }
        }
    }

    @Override
    public void run(ProbeContext ctx) {
        fn.run(ctx);
    }
}
