package dev.sonde.probes.builtin;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapType;
import dev.sonde.maps.RelayMap;
import dev.sonde.probes.MapCheck;
import dev.sonde.probes.ProbeContext;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.Program;
import dev.sonde.probes.TargetMethod;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;

/**
 * {@code record}: one text line per finished call into a relay, readable with {@code cat}:
 * {@code <thread id> <class>.<method> <duration ns> ns ret=<return bits>} or {@code ... threw <exception class>}.
 * Formatted in the thread's scratch buffer from names encoded when the method was matched: no allocation.
 */
public final class Record extends Program {
    private static final byte[] NS_RET = " ns ret=".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NS_THREW = " ns threw ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UNKNOWN = "?".getBytes(StandardCharsets.US_ASCII);

    private final RelayMap relay;
    /** Hook id → "class.method" in UTF-8; copied on write by the control plane, read without locks. */
    private volatile byte[][] names = new byte[0][];

    public Record(String name, BpfMap relay) {
        super(name, "record", ProbeKind.EXIT, new BpfMap[] {relay});
        try {
            MapCheck.require(name, "relay", relay, EnumSet.of(MapType.RELAY), 0, 0);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.relay = (RelayMap) relay;
    }

    @Override
    public boolean alsoOnException() {
        return true;
    }

    @Override
    public synchronized void checkTarget(TargetMethod m) {
        byte[][] n = names;
        if (m.hookId() >= n.length) {
            n = java.util.Arrays.copyOf(n, Math.max(m.hookId() + 1, n.length * 2));
        } else {
            n = n.clone();
        }
        n[m.hookId()] = (m.className() + "." + m.methodName()).getBytes(StandardCharsets.UTF_8);
        names = n;
    }

    @Override
    public void run(ProbeContext ctx) {
        byte[] b = ctx.scratch();
        int p = Text.putLong(b, 0, ctx.threadId());
        b[p++] = ' ';
        byte[][] n = names;
        int id = ctx.methodId();
        p = Text.put(b, p, id < n.length && n[id] != null ? n[id] : UNKNOWN);
        b[p++] = ' ';
        p = Text.putLong(b, p, ctx.durationNanos());
        Throwable t = ctx.thrown();
        if (t == null) {
            p = Text.put(b, p, NS_RET);
            p = Text.putLong(b, p, ctx.retLong());
        } else {
            p = Text.put(b, p, NS_THREW);
            p = Text.putAscii(b, p, t.getClass().getName());
        }
        b[p++] = '\n';
        if (relay.output(b, 0, p) < 0) {
            stats().mapError();
        }
    }
}
