package dev.sonde.probes.config;

import dev.sonde.maps.Errno;
import dev.sonde.maps.SondeException;

/** A probe-file error: {@code file:line:column: problem; fix}, on one line. */
public final class ProbeFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int line;
    private final int column;
    private final int errno;

    public ProbeFileException(String source, int line, int column, String problem, Throwable cause) {
        this(source, line, column, problem, cause, Errno.EINVAL);
    }

    private ProbeFileException(String source, int line, int column, String problem, Throwable cause, int errno) {
        super(source + ":" + line + ":" + column + ": " + oneLine(problem), cause);
        this.line = line;
        this.column = column;
        this.errno = errno;
    }

    /** A loader or verifier refusal ({@link SondeException}) placed at the declaration it concerns. */
    public static ProbeFileException at(String source, Located where, SondeException e) {
        return new ProbeFileException(source, where.line(), where.column(), e.getMessage(), e, e.errno());
    }

    public int line() { return line; }
    public int column() { return column; }
    public int errno() { return errno; }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }
}
