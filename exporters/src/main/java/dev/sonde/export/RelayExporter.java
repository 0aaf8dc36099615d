package dev.sonde.export;

import dev.sonde.maps.RelayMap;
import dev.sonde.maps.RelayReader;
import dev.sonde.maps.RelayRecord;
import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.builtin.RelayDumps;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.logs.LogRecordBuilder;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.LoggerProvider;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Relay records as OTLP log records, one per record: body = the record's text (UTF-8, one trailing newline
 * dropped) or its bytes when it is not text; timestamp = the record's wall-clock time; attributes
 * {@code sonde.relay.map}, {@code sonde.relay.shard} (the file's number, {@link RelayRecord#shard()}),
 * {@code sonde.relay.lap} (the sub-buffer's sequence number in its file), {@code sonde.relay.seq} (the record's
 * place in this export, oldest first) and {@code sonde.relay.reason}. Three ways out, all reading with
 * {@link RelayReader} while writers go on:
 * <ul>
 *   <li>{@link #exportSnapshot} (on demand, the CLI or control channel): every record present now;</li>
 *   <li>the schedule ({@code sonde.relay.exportInterval}): the records written since the previous pass;</li>
 *   <li>{@link #trigger} (an {@code exceptions} program's {@code dump}, through {@link #dump}, as JFR's dump on
 *       demand): the records of the last N seconds before the trigger, exported by this exporter's thread; the call
 *       itself only stores the window and what asked for it, and unparks that thread. A dump's records also carry
 *       {@code sonde.trigger.exception} (the exception's class) and {@code sonde.trigger.method}
 *       ({@code Class.method} it left); each dump counts in {@code sonde.relay.dumps{outcome=exported}}.</li>
 * </ul>
 * A relay's overwritten sub-buffers and refused writes are reported as {@code sonde.records.dropped} causes
 * {@code relay_overwritten} (counted in sub-buffers, the unit the relay keeps) and {@code ring_full}.
 */
public final class RelayExporter implements AutoCloseable, RelayDumps.Sink {
    /** Relays one exporter serves; the trigger slots are preallocated so a trigger never allocates. */
    public static final int MAX_RELAYS = 64;
    static final AttributeKey<String> MAP = AttributeKey.stringKey("sonde.relay.map");
    static final AttributeKey<Long> SHARD = AttributeKey.longKey("sonde.relay.shard");
    static final AttributeKey<Long> LAP = AttributeKey.longKey("sonde.relay.lap");
    static final AttributeKey<Long> SEQ = AttributeKey.longKey("sonde.relay.seq");
    static final AttributeKey<String> REASON = AttributeKey.stringKey("sonde.relay.reason");
    static final AttributeKey<String> TRIGGER_EXCEPTION = AttributeKey.stringKey("sonde.trigger.exception");
    static final AttributeKey<String> TRIGGER_METHOD = AttributeKey.stringKey("sonde.trigger.method");
    private static final long NO_TRIGGER = Long.MAX_VALUE;

    private final Logger logger;
    private final SondeTelemetry telemetry;
    private final long intervalNanos;
    private final RelayMap[] relays = new RelayMap[MAX_RELAYS];
    /** Per relay: the newest {@link RelayRecord#position()} exported by the schedule, per file. */
    private final long[][] watermarks = new long[MAX_RELAYS][];
    /**
     * Per relay and file: the position of a claim the last passes found still being written, and for how many
     * passes. The schedule holds back the records after it, which its mark would otherwise pass over.
     */
    private final long[][] pending = new long[MAX_RELAYS][];
    private final int[][] pendingPasses = new int[MAX_RELAYS][];
    /**
     * Passes that wait for a claim still being written before exporting what follows it: a writer preempted
     * inside a record finishes within one; one that never finishes (a reservation never committed) no longer holds
     * the file's export back after this many.
     */
    static final int MAX_HOLD_PASSES = 3;
    /** Log records handed to the SDK's log processor, for the shutdown's account of what never left it. */
    private final java.util.concurrent.atomic.AtomicLong emitted = new java.util.concurrent.atomic.AtomicLong();
    /**
     * Per relay: the relay clock's time ({@link System#nanoTime()}, the records' own {@code timestamp}, exact to the
     * nanosecond) from which a trigger asks for records, or NO_TRIGGER.
     */
    private final AtomicLongArray triggers = new AtomicLongArray(MAX_RELAYS);
    /** Per relay: the relay clock's time of the latest trigger, the window's end. */
    private final AtomicLongArray triggerEnds = new AtomicLongArray(MAX_RELAYS);
    /** Per relay: the exception hash and method id of the latest {@link #dump}; 0 for a bare {@link #trigger}. */
    private final AtomicLongArray causeException = new AtomicLongArray(MAX_RELAYS);
    private final AtomicLongArray causeMethod = new AtomicLongArray(MAX_RELAYS);
    private volatile SpanNames names = methodId -> null;
    private final List<AutoCloseable> registrations = new ArrayList<>();
    private final Thread thread;
    private int count;
    private volatile boolean stopping;

    /** @param interval the schedule's period; zero for none (on demand and triggers only) */
    public RelayExporter(LoggerProvider logs, SondeTelemetry telemetry, Duration interval) {
        this.logger = logs.get("dev.sonde.relay");
        this.telemetry = telemetry;
        this.intervalNanos = interval.toNanos();
        for (int i = 0; i < MAX_RELAYS; i++) {
            triggers.set(i, NO_TRIGGER);
            triggerEnds.set(i, Long.MIN_VALUE);
        }
        thread = new Thread(this::run, "sonde-relay-export");
        thread.setDaemon(true);
        thread.start();
    }

    /** Serves {@code relay}; returns its slot for {@link #trigger}. */
    public synchronized int add(RelayMap relay) {
        if (count == MAX_RELAYS) {
            throw new dev.sonde.maps.SondeException(dev.sonde.maps.Errno.E2BIG, "a RelayExporter serves at most "
                    + MAX_RELAYS + " relays; merge relays or start another exporter");
        }
        int slot = count;
        // One mark a file, the position of the newest record exported (RelayRecord.position): records carry their
        // file number, and a later record of the same file has a later position even when its time is the same.
        watermarks[slot] = new long[relay.numFiles()];
        java.util.Arrays.fill(watermarks[slot], Long.MIN_VALUE);
        pending[slot] = new long[relay.numFiles()];
        java.util.Arrays.fill(pending[slot], Long.MAX_VALUE);
        pendingPasses[slot] = new int[relay.numFiles()];
        relays[slot] = relay;
        count = slot + 1;
        registrations.add(telemetry.registerDropped(SondeTelemetry.RELAY_OVERWRITTEN, relay::overwritten));
        registrations.add(telemetry.registerDropped(SondeTelemetry.RING_FULL, relay::dropped));
        return slot;
    }

    /**
     * Asks for the records of the last {@code lastNanos} nanoseconds of relay {@code slot}. Safe on any thread,
     * including an application thread inside a probe: no allocation, no lock, no I/O; repeated triggers before
     * the export merge into the widest window. Returns 0, or -EINVAL for an unknown slot.
     */
    public int trigger(int slot, long lastNanos) {
        if (slot < 0 || slot >= MAX_RELAYS || relays[slot] == null) {
            return -dev.sonde.maps.Errno.EINVAL;
        }
        causeException.set(slot, 0);
        causeMethod.set(slot, 0);
        return window(slot, lastNanos);
    }

    /**
     * {@link RelayDumps.Sink}: an {@code exceptions} program's dump request, on the application's thread. Finds the
     * relay's slot by identity (a scan of at most {@link #MAX_RELAYS} references), notes the cause and triggers.
     */
    @Override
    public int dump(RelayMap relay, long lastNanos, long exceptionKey, int methodId) {
        for (int slot = 0; slot < MAX_RELAYS; slot++) {
            if (relays[slot] == relay) {
                causeException.set(slot, exceptionKey);
                causeMethod.set(slot, methodId);
                return window(slot, lastNanos);
            }
        }
        return -dev.sonde.maps.Errno.ENOENT;
    }

    /** Names the method behind a dump's method id (the agent's hook table). */
    public void names(SpanNames n) {
        names = n;
    }

    private int window(int slot, long lastNanos) {
        long now = System.nanoTime();
        long since = now - lastNanos;
        for (;;) {
            long end = triggerEnds.get(slot);
            if (end >= now || triggerEnds.compareAndSet(slot, end, now)) {
                break;
            }
        }
        for (;;) {
            long cur = triggers.get(slot);
            // Keep the earliest start: two triggers in a row export one window covering both.
            if (cur <= since || triggers.compareAndSet(slot, cur, since)) {
                break;
            }
        }
        LockSupport.unpark(thread);
        return 0;
    }

    /** Relay records emitted as log records so far. */
    public long emitted() {
        return emitted.get();
    }

    /** On demand: exports every record {@code relay} holds now; returns how many. */
    public int exportSnapshot(RelayMap relay) {
        return emit(relay, RelayReader.read(relay).records(), Long.MIN_VALUE, Long.MAX_VALUE, null, null, "on_demand",
                0, 0);
    }

    /** One scheduled pass over every relay: records newer than the previous pass. Returns how many. */
    public synchronized int exportNew() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            RelayReader.Result res = RelayReader.read(relays[i]);
            n += emit(relays[i], res.records(), Long.MIN_VALUE, Long.MAX_VALUE, watermarks[i], holdFrom(i, res),
                    "scheduled", 0, 0);
        }
        return n;
    }

    private synchronized int exportTriggered() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            long since = triggers.getAndSet(i, NO_TRIGGER);
            if (since != NO_TRIGGER) {
                long until = triggerEnds.get(i);
                n += emit(relays[i], RelayReader.read(relays[i]).records(), since, until, null, null, "trigger",
                        causeException.get(i), (int) causeMethod.get(i));
                telemetry.dumpExported();
            }
        }
        return n;
    }

    /**
     * Per file of relay {@code slot}, the position after which this pass holds records back: that of the first
     * claim still being written past the file's mark, for {@link #MAX_HOLD_PASSES} passes; else none. Without it
     * the mark would pass over that record, and when its writer commits it the schedule would never send it.
     */
    private long[] holdFrom(int slot, RelayReader.Result res) {
        long[] at = pending[slot];
        int[] passes = pendingPasses[slot];
        long[] from = new long[at.length];
        for (int f = 0; f < at.length; f++) {
            long p = res.firstPending(f);
            if (p == Long.MAX_VALUE || p <= watermarks[slot][f]) {
                at[f] = Long.MAX_VALUE;
                passes[f] = 0;
                from[f] = Long.MAX_VALUE;
                continue;
            }
            passes[f] = p == at[f] ? passes[f] + 1 : 1;
            at[f] = p;
            from[f] = passes[f] <= MAX_HOLD_PASSES ? p : Long.MAX_VALUE;
        }
        return from;
    }

    /** {@code since}/{@code until}: the window in the relay's clock (records' {@code timestamp}), ends included. */
    private int emit(RelayMap relay, List<RelayRecord> records, long since, long until,
            long[] watermark, long[] holdFrom, String reason, long causeKey, int causeMethodId) {
        long now = System.currentTimeMillis() * 1_000_000L;
        String causeExc = causeKey == 0 ? null : names.exceptionName(causeKey);
        String causeMeth = null;
        if (causeMethodId != 0) {
            TargetMethod m = names.method(causeMethodId);
            causeMeth = m == null ? "method#" + causeMethodId : m.className() + "." + m.methodName();
        }
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        int seq = 0;
        long[] newest = watermark == null ? null : watermark.clone();
        for (RelayRecord r : records) {
            if (r.timestamp() < since || r.timestamp() > until) {
                continue;
            }
            if (holdFrom != null && r.position() > holdFrom[r.shard()]) {
                continue; // after a claim still being written: the next pass sends both, in order
            }
            if (watermark != null) {
                if (r.position() <= watermark[r.shard()]) {
                    continue;
                }
                newest[r.shard()] = Math.max(newest[r.shard()], r.position());
            }
            LogRecordBuilder b = logger.logRecordBuilder()
                    .setTimestamp(r.epochNanos(), TimeUnit.NANOSECONDS)
                    .setObservedTimestamp(now, TimeUnit.NANOSECONDS)
                    .setAttribute(MAP, relay.name())
                    .setAttribute(SHARD, (long) r.shard())
                    .setAttribute(LAP, r.lap())
                    .setAttribute(SEQ, (long) seq++)
                    .setAttribute(REASON, reason);
            if (causeExc != null) {
                b.setAttribute(TRIGGER_EXCEPTION, causeExc);
            }
            if (causeMeth != null) {
                b.setAttribute(TRIGGER_METHOD, causeMeth);
            }
            String text = text(utf8, r.data());
            if (text != null) {
                b.setBody(text);
            } else {
                b.setBody(Value.of(r.data()));
            }
            b.emit();
            emitted.incrementAndGet();
        }
        if (watermark != null) {
            System.arraycopy(newest, 0, watermark, 0, watermark.length);
        }
        return seq;
    }

    /** The record as text, one trailing newline dropped; null when it is not UTF-8 text. */
    static String text(CharsetDecoder utf8, byte[] data) {
        try {
            CharBuffer c = utf8.reset().decode(ByteBuffer.wrap(data));
            String s = c.toString();
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') {
                    return null;
                }
            }
            return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private void run() {
        long next = System.nanoTime() + intervalNanos;
        while (!stopping) {
            if (intervalNanos > 0) {
                LockSupport.parkNanos(this, Math.max(0, next - System.nanoTime()));
            } else {
                LockSupport.park(this);
            }
            try {
                exportTriggered();
                if (intervalNanos > 0 && System.nanoTime() - next >= 0) {
                    exportNew();
                    next = System.nanoTime() + intervalNanos;
                }
            } catch (RuntimeException e) {
                // A relay freed under us (its files gone): nothing to export from it; the thread must live on.
                System.err.println("sonde: relay export failed: " + e);
            }
        }
    }

    /** Stops the thread after a last pass: pending triggers, and with a schedule, the records not yet exported. */
    @Override
    public void close() {
        stopping = true;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        exportTriggered();
        if (intervalNanos > 0) {
            exportNew();
        }
        for (AutoCloseable r : registrations) {
            try {
                r.close();
            } catch (Exception ignored) {
                // removing from a list does not fail
            }
        }
    }
}
