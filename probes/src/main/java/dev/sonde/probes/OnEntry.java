package dev.sonde.probes;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated {@code public static void m(ProbeContext ctx)} when a matched method is entered, as a
 * kprobe/fentry program does. Patterns are those of the probe file: {@code *} wildcards, a trailing {@code +}
 * for a type and all its subtypes, an optional JVM descriptor to pick one overload.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface OnEntry {
    /** Class pattern, for example {@code com.example.*Service} or {@code com.example.Handler+}. */
    String type();

    /** Method name pattern; constructors are not probed. */
    String method() default "*";

    /** JVM descriptor such as {@code (IJ)V}; empty matches every overload. */
    String descriptor() default "";

    /**
     * The argument types the probe reads, by index ({@code "int"}, {@code "long"}, {@code "double"}, ... or
     * {@code "?"} for any): the verifier refuses a matched method whose parameters differ.
     */
    String[] args() default {};
}
