package dev.sonde.agent.cli;

/** A user-facing failure: one line naming the problem and the fix, and the exit code. */
final class CliError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final int USAGE = 2;
    static final int NOT_FOUND = 3;
    static final int FAILED = 1;
    /** The JVM or its files belong to another user. */
    static final int PERMISSION = 4;

    private final int exitCode;

    CliError(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CliError(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
