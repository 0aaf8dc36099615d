package dev.sonde.probes;

/** Where in a method a program runs: fentry, fexit (normal return), or on a thrown exception. */
public enum ProbeKind {
    ENTRY, EXIT, EXCEPTION;

    /** The spelling used in probe files and progs.json. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
