package dev.sonde.probes;

import java.util.Arrays;
import java.util.List;

/**
 * One instrumented method, known by its hook id (the program's "method id", the kernel's attach btf_id): the
 * class, name, JVM descriptor, and the Java names of its parameter types for the verifier's argument checks.
 */
public final class TargetMethod {
    private final int hookId;
    private final String className;
    private final String methodName;
    private final String descriptor;
    private final String[] paramTypes;
    private final String returnType;

    public TargetMethod(int hookId, String className, String methodName, String descriptor, String[] paramTypes,
            String returnType) {
        this.hookId = hookId;
        this.className = className;
        this.methodName = methodName;
        this.descriptor = descriptor;
        this.paramTypes = paramTypes.clone();
        this.returnType = returnType;
    }

    public int hookId() { return hookId; }
    public String className() { return className; }
    public String methodName() { return methodName; }
    public String descriptor() { return descriptor; }
    public int paramCount() { return paramTypes.length; }
    /** {@code int}, {@code long}, {@code java.lang.String}, ... */
    public String paramType(int i) { return paramTypes[i]; }
    public List<String> paramTypes() { return Arrays.asList(paramTypes.clone()); }
    public String returnType() { return returnType; }

    /** {@code com.example.Service.handle(I)V}. */
    @Override
    public String toString() {
        return className + "." + methodName + descriptor;
    }
}
