package dev.sonde.probes.config;

/** A probe-file object that remembers where it started, so errors found after parsing still name a line and column. */
public abstract class Located {
    private int line;
    private int column;

    final void at(int line, int column) {
        this.line = line;
        this.column = column;
    }

    public final int line() { return line; }
    public final int column() { return column; }
}
