package dev.sonde.probes.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.maps.MapSpec;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RelayMap;
import dev.sonde.maps.RelayReader;
import dev.sonde.maps.RelayRecord;
import dev.sonde.maps.RingBuf;
import dev.sonde.maps.RingBufConsumer;
import dev.sonde.probes.AttachPoint;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.Program;
import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.builtin.Exceptions;
import dev.sonde.probes.builtin.SpanLayout;
import dev.sonde.probes.config.ProbeFileException;
import dev.sonde.probes.config.ProbeFileParser;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code span} into a real ringbuf and {@code record} into a real relay: one record per call, normal or thrown. */
class EventProgramsTest {
    private static final TargetMethod M = new TargetMethod(21, "com.example.Calc", "add", "(J)J",
            new String[] {"long"}, "long");

    /** Attaches exit programs as the agent's hook table does: those that also record throws on both lists. */
    private static AttachPoint attach(List<Binding> bindings) {
        List<Program> ex = new ArrayList<>();
        for (Binding b : bindings) {
            b.program().checkTarget(M);
            ex.add(b.program());
            assertEquals(ProbeKind.EXIT, b.program().kind());
            assertTrue(b.program().alsoOnException());
        }
        Program[] exits = ex.toArray(new Program[0]);
        return new AttachPoint(M, new Program[0], exits, exits);
    }

    /** The span program asks the sampling_ops subsystem: a registered policy decides which calls become spans. */
    @Test
    void spanFollowsTheRegisteredSamplingPolicy() {
        String yaml = "maps:\n  - {name: ev_sampled, type: ringbuf, maxEntries: 65536}\n"
                + "probes:\n  - {class: com.example.Calc, program: span, maps: [ev_sampled]}\n";
        java.util.concurrent.atomic.AtomicLong ended = new java.util.concurrent.atomic.AtomicLong();
        try (LoadedProbes p = new ProbeLoader(MapSource.MAPS, getClass().getClassLoader())
                .load(ProbeFileParser.parse("sampled.yaml", yaml, false));
             dev.sonde.maps.StructOpsMap policy = (dev.sonde.maps.StructOpsMap) Maps.create(
                     dev.sonde.probes.structops.SamplingPolicy.mapSpec("ev_policy").build())) {
            long[] calls = {0};
            policy.setCallback(dev.sonde.probes.structops.SamplingOps.SHOULD_SAMPLE,
                    (dev.sonde.probes.structops.SamplingOps.ShouldSample) (id, t, now) -> calls[0]++ % 3 == 0, 7)
                    .setCallback(dev.sonde.probes.structops.SamplingOps.ON_SPAN_END,
                    (dev.sonde.probes.structops.SamplingOps.OnSpanEnd) (id, d) -> ended.incrementAndGet(), 8);
            assertEquals(0, policy.attach());
            AttachPoint ap = attach(p.bindings());
            for (int i = 0; i < 9; i++) {
                ap.exit(ap.enter(i, 0, 0, 0, 0, 0), i, null, i, 0, 0, 0, 0, 0);
            }
            assertEquals(0, policy.detach());
            ap.exit(ap.enter(9, 0, 0, 0, 0, 0), 9, null, 9, 0, 0, 0, 0, 0); // back on the default: sampled
            List<Long> values = new ArrayList<>();
            try (RingBufConsumer c = RingBufConsumer.create((RingBuf) Maps.byName("ev_sampled"), (ByteBuffer r) -> {
                values.add(r.getLong(r.position() + SpanLayout.VALUE_OFFSET));
                return 0;
            })) {
                c.consume();
            }
            assertEquals(List.of(0L, 3L, 6L, 9L), values, "calls 0, 3, 6 by the policy, then 9 by the default");
            assertEquals(3, ended.get(), "on_span_end for each sampled span while the policy was in use");
        }
    }

    @Test
    void spanWritesOneRecordPerCallIntoTheRing() {
        String yaml = "maps:\n  - {name: ev_ring, type: ringbuf, maxEntries: 65536}\n"
                + "probes:\n  - {class: com.example.Calc, program: span, maps: [ev_ring]}\n";
        try (LoadedProbes p = new ProbeLoader(MapSource.MAPS, getClass().getClassLoader())
                .load(ProbeFileParser.parse("ev.yaml", yaml, false))) {
            AttachPoint ap = attach(p.bindings());
            for (int i = 0; i < 10; i++) {
                long start = ap.enter(i, 0, 0, 0, 0, 0);
                ap.exit(start, i * 10L, i == 9 ? new IllegalStateException() : null, i, 0, 0, 0, 0, 0);
            }
            List<long[]> spans = new ArrayList<>();
            try (RingBufConsumer c = RingBufConsumer.create((RingBuf) Maps.byName("ev_ring"), (ByteBuffer r) -> {
                assertEquals(SpanLayout.SIZE, r.remaining());
                int at = r.position();
                spans.add(new long[] {r.getLong(at + SpanLayout.METHOD_OFFSET), r.getLong(at + SpanLayout.DURATION_OFFSET),
                        r.getLong(at + SpanLayout.VALUE_OFFSET), r.getInt(at + SpanLayout.FLAGS_OFFSET),
                        r.getLong(at + SpanLayout.START_OFFSET)});
                return 0;
            })) {
                assertEquals(10, c.consume());
            }
            assertEquals(10, spans.size());
            long now = System.currentTimeMillis() * 1_000_000L;
            for (int i = 0; i < 10; i++) {
                long[] s = spans.get(i);
                assertEquals(21, s[0]);
                assertTrue(s[1] >= 0);
                assertTrue(Math.abs(now - s[4]) < 60_000_000_000L, "start is epoch nanoseconds");
                if (i < 9) {
                    assertEquals(i * 10L, s[2]);
                    assertEquals(0, s[3]);
                } else {
                    assertEquals(Exceptions.key(IllegalStateException.class), s[2]);
                    assertEquals(SpanLayout.THREW, s[3]);
                }
            }
        }
    }

    @Test
    void spanRecordsNestCallsByIdsAndCarryTheArguments() {
        String yaml = "maps:\n  - {name: ev_nest, type: ringbuf, maxEntries: 65536}\n"
                + "probes:\n  - {class: com.example.Calc, program: span, maps: [ev_nest]}\n";
        try (LoadedProbes p = new ProbeLoader(MapSource.MAPS, getClass().getClassLoader())
                .load(ProbeFileParser.parse("ev.yaml", yaml, false))) {
            AttachPoint ap = attach(p.bindings());
            // Two traces: root(child(grandchild), child-that-throws), then a second root.
            long r = ap.enter(1, 0, 0, 0, 0, 0);
            long c1 = ap.enter(2, 0, 0, 0, 0, 0);
            long g = ap.enter(3, 0, 0, 0, 0, 0);
            ap.exit(g, 0, null, 3, 0, 0, 0, 0, 0);
            ap.exit(c1, 0, null, 2, 0, 0, 0, 0, 0);
            long c2 = ap.enter(4, 0, 0, 0, 0, 0);
            ap.exit(c2, 0, new IllegalStateException(), 4, 0, 0, 0, 0, 0);
            ap.exit(r, 0, null, 1, 0, 0, 0, 0, 0);
            long r2 = ap.enter(5, 0, 0, 0, 0, 0);
            ap.exit(r2, 0, null, 5, 0, 0, 0, 0, 0);
            List<long[]> spans = new ArrayList<>();
            try (RingBufConsumer c = RingBufConsumer.create((RingBuf) Maps.byName("ev_nest"), (ByteBuffer rec) -> {
                int at = rec.position();
                spans.add(new long[] {rec.getLong(at + SpanLayout.ARGS_OFFSET), rec.getLong(at + SpanLayout.CALL_ID_OFFSET),
                        rec.getLong(at + SpanLayout.PARENT_CALL_ID_OFFSET), rec.getLong(at + SpanLayout.ROOT_CALL_ID_OFFSET),
                        rec.getInt(at + SpanLayout.NARGS_OFFSET), rec.getLong(at + SpanLayout.ARGS_OFFSET + 8)});
                return 0;
            })) {
                assertEquals(5, c.consume());
            }
            // {arg0, call id, parent, root, nArgs, arg1} in exit order; call ids count entries on this thread.
            long[][] want = {{3, 3, 2, 1, 1, 0}, {2, 2, 1, 1, 1, 0}, {4, 4, 1, 1, 1, 0}, {1, 1, 0, 1, 1, 0},
                {5, 5, 0, 5, 1, 0}};
            long base = spans.get(3)[1] - 1; // the context's counter may have run in an earlier test on this thread
            for (int i = 0; i < want.length; i++) {
                long[] s = spans.get(i);
                assertEquals(want[i][0], s[0], "arg0 of record " + i);
                assertEquals(base + want[i][1], s[1], "call id of record " + i);
                assertEquals(want[i][2] == 0 ? 0 : base + want[i][2], s[2], "parent of record " + i);
                assertEquals(base + want[i][3], s[3], "root of record " + i);
                assertEquals(1, s[4]);
                assertEquals(0, s[5], "words past nArgs are zero");
            }
        }
    }

    @Test
    void aCallWhoseProgramsAreSwappedOrUnloadedMidCallStillLeavesTheCallStack() {
        String yaml = "maps:\n  - {name: ev_swap, type: ringbuf, maxEntries: 65536}\n"
                + "probes:\n  - {class: com.example.Calc, program: span, maps: [ev_swap]}\n";
        try (LoadedProbes p = new ProbeLoader(MapSource.MAPS, getClass().getClassLoader())
                .load(ProbeFileParser.parse("ev.yaml", yaml, false))) {
            AttachPoint ap = attach(p.bindings());
            AttachPoint empty = new AttachPoint(M, new Program[0], new Program[0], new Program[0]);
            ap.exit(ap.enter(0, 0, 0, 0, 0, 0), 0, null, 0, 0, 0, 0, 0, 0); // the counter's base on this thread
            empty.exit(ap.enter(1, 0, 0, 0, 0, 0), 0, null, 1, 0, 0, 0, 0, 0); // swapped for no programs
            AttachPoint.abandon(ap.enter(2, 0, 0, 0, 0, 0)); // unloaded: the bridge finds no attach point
            ap.exit(ap.enter(3, 0, 0, 0, 0, 0), 0, null, 3, 0, 0, 0, 0, 0);
            List<long[]> spans = new ArrayList<>();
            try (RingBufConsumer c = RingBufConsumer.create((RingBuf) Maps.byName("ev_swap"), (ByteBuffer rec) -> {
                int at = rec.position();
                spans.add(new long[] {rec.getLong(at + SpanLayout.CALL_ID_OFFSET),
                        rec.getLong(at + SpanLayout.PARENT_CALL_ID_OFFSET), rec.getLong(at + SpanLayout.ROOT_CALL_ID_OFFSET)});
                return 0;
            })) {
                assertEquals(2, c.consume());
            }
            long last = spans.get(1)[0];
            assertEquals(spans.get(0)[0] + 3, last, "every entry took a call id");
            assertEquals(0, spans.get(1)[1], "the last call is a root again: nothing left on the stack");
            assertEquals(last, spans.get(1)[2]);
        }
    }

    @Test
    void recordWritesOneTextLinePerCallIntoTheRelay() {
        String yaml = "maps:\n  - {name: ev_log, type: relay, subbufSize: 4096, nSubbufs: 4, numShards: 1}\n"
                + "probes:\n  - {class: com.example.Calc, program: record, maps: [ev_log]}\n";
        try (LoadedProbes p = new ProbeLoader(MapSource.MAPS, getClass().getClassLoader())
                .load(ProbeFileParser.parse("ev.yaml", yaml, false))) {
            AttachPoint ap = attach(p.bindings());
            for (int i = 0; i < 5; i++) {
                long start = ap.enter(i, 0, 0, 0, 0, 0);
                ap.exit(start, -i, i == 4 ? new ArithmeticException() : null, i, 0, 0, 0, 0, 0);
            }
            List<RelayRecord> records = RelayReader.read((RelayMap) Maps.byName("ev_log")).records();
            assertEquals(5, records.size());
            long tid = Thread.currentThread().getId();
            for (int i = 0; i < 5; i++) {
                String line = records.get(i).text();
                String want = i < 4 ? " ns ret=" + (-i) + "\n" : " ns threw java.lang.ArithmeticException\n";
                assertTrue(line.startsWith(tid + " com.example.Calc.add "), line);
                assertTrue(line.endsWith(want), line);
            }
        }
    }

    @Test
    void aRelayDeclaredWithPrivateShardsGivesTheWritingThreadItsOwnFile() {
        String yaml = "maps:\n  - {name: ev_priv, type: relay, subbufSize: 1024, nSubbufs: 64, numShards: 1,"
                + " privateShards: true}\nprobes:\n  - {class: com.example.Calc, program: record, maps: [ev_priv]}\n";
        try (LoadedProbes p = new ProbeLoader(MapSource.MAPS, getClass().getClassLoader())
                .load(ProbeFileParser.parse("ev.yaml", yaml, false))) {
            AttachPoint ap = attach(p.bindings());
            for (int i = 0; i < 100; i++) {
                long start = ap.enter(i, 0, 0, 0, 0, 0);
                ap.exit(start, -i, null, i, 0, 0, 0, 0, 0);
            }
            RelayMap relay = (RelayMap) Maps.byName("ev_priv");
            assertTrue((relay.flags() & MapSpec.F_RELAY_PRIVATE_SHARDS) != 0);
            assertEquals(2, relay.numFiles());
            List<RelayRecord> records = RelayReader.read(relay).records();
            assertEquals(100, records.size());
            for (int i = 0; i < 100; i++) {
                assertTrue(records.get(i).text().endsWith(" ns ret=" + (-i) + "\n"), records.get(i).text());
            }
            assertEquals(1, records.get(99).shard(), "the thread wrote its last records into its private file");
        }
    }

    @Test
    void privateShardsOnAMapThatIsNoRelayIsRefused() {
        String yaml = "maps:\n  - {name: ev_ph, type: hash, keySize: 8, valueSize: 8, maxEntries: 4, privateShards: true}\n"
                + "probes:\n  - {class: a.B, program: count, maps: [ev_ph]}\n";
        ProbeFileException e = org.junit.jupiter.api.Assertions.assertThrows(ProbeFileException.class,
                () -> new ProbeLoader(MapSource.MAPS, getClass().getClassLoader())
                        .load(ProbeFileParser.parse("ev.yaml", yaml, false)));
        assertTrue(e.getMessage().contains("privateShards is for relay maps, and 'ev_ph' is a hash"), e.getMessage());
    }

    @Test
    void eventProgramsRefuseKeyedMaps() {
        String yaml = "maps:\n  - {name: ev_h, type: hash, keySize: 8, valueSize: 8, maxEntries: 4}\n"
                + "probes:\n  - {class: a.B, program: span, maps: [ev_h]}\n";
        ProbeFileException e = org.junit.jupiter.api.Assertions.assertThrows(ProbeFileException.class,
                () -> new ProbeLoader(MapSource.MAPS, getClass().getClassLoader())
                        .load(ProbeFileParser.parse("ev.yaml", yaml, false)));
        assertTrue(e.getMessage().contains("'ev_h' is a hash map; declare it as ringbuf"), e.getMessage());
    }
}
