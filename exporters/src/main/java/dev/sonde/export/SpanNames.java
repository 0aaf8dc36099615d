package dev.sonde.export;

import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.builtin.Exceptions;

/**
 * What a span record leaves out to stay fixed-size and copy-free: the method behind its method id (the agent's
 * hook table) and the exception class behind its hash. Called on the export thread, never on the application's.
 */
public interface SpanNames {
    /** The instrumented method with this hook id, or null when unknown. */
    TargetMethod method(int methodId);

    /** The exception class name behind an exception hash; by default the names this JVM's {@code span} saw. */
    default String exceptionName(long hash) {
        String n = Exceptions.name(hash);
        return n != null ? n : String.format("exception#%016x", hash);
    }
}
