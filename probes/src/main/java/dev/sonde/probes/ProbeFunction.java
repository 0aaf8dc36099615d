package dev.sonde.probes;

/** The code of a Java program's probe method, bound without reflection on the hot path (a LambdaMetafactory call site). */
@FunctionalInterface
public interface ProbeFunction {
    void run(ProbeContext ctx);
}
