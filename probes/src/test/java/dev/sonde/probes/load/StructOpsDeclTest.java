package dev.sonde.probes.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.maps.Maps;
import dev.sonde.maps.StructOpsMap;
import dev.sonde.probes.config.ProbeFileException;
import dev.sonde.probes.config.ProbeFileParser;
import dev.sonde.probes.structops.SamplingOps;
import dev.sonde.probes.structops.SamplingPolicy;
import org.junit.jupiter.api.Test;

/** A probe file's {@code type: struct_ops} map: a ratio sampling policy, checked at load, registered after. */
class StructOpsDeclTest {
    private static final String RING = "  - {name: so_spans, type: ringbuf, maxEntries: 4096}\n";
    private static final String PROBES = "probes:\n  - {class: a.B, program: span, maps: [so_spans]}\n";

    private static LoadedProbes load(String maps) {
        return new ProbeLoader(MapSource.MAPS, StructOpsDeclTest.class.getClassLoader())
                .load(ProbeFileParser.parse("so.yaml", "maps:\n" + RING + maps + PROBES, false));
    }

    /** Of 10,000 spans (distinct start times), how many the registered policy records. */
    private static int sampled() {
        int n = 0;
        for (int i = 0; i < 10_000; i++) {
            if (SamplingPolicy.shouldSample(3, 1, 1_000_003L * i)) {
                n++;
            }
        }
        return n;
    }

    @Test
    void aRatioPolicyIsRegisteredAfterLoadingAndRemovedOnClose() {
        assertEquals(10_000, sampled(), "the default records every span");
        try (LoadedProbes p = load("  - {name: so_half, type: struct_ops, policy: ratio, ratio: 0.5}\n")) {
            assertNull(Maps.byName("so_half"), "declared, not created until registered");
            assertEquals(10_000, sampled());
            assertEquals(1, p.registerPolicies(MapSource.MAPS));
            StructOpsMap m = (StructOpsMap) Maps.byName("so_half");
            assertSame(m, SamplingPolicy.TYPE.registered());
            assertEquals(dev.sonde.maps.StructOpsLayout.STATE_INUSE, m.state());
            assertEquals(2, m.progId(m.slotIndex(SamplingOps.SHOULD_SAMPLE)), "the id after the file's one program");
            assertTrue(p.maps().contains(m));
            int half = sampled();
            assertTrue(half > 4_500 && half < 5_500, half + " of 10000 sampled at ratio 0.5");
        }
        assertNull(SamplingPolicy.TYPE.registered(), "closing the file unregisters its policy");
        assertNull(Maps.byName("so_half"));
        assertEquals(10_000, sampled());
    }

    @Test
    void theNextFileRegistersItsPolicyOnceThePreviousOneIsClosed() {
        LoadedProbes first = load("  - {name: so_pol, type: struct_ops, policy: ratio, ratio: 0}\n");
        assertEquals(1, first.registerPolicies(MapSource.MAPS));
        assertEquals(0, sampled());
        // The same map name again, as `sonde load` of the same file does: loading creates nothing yet.
        LoadedProbes next = load("  - {name: so_pol, type: struct_ops, policy: ratio, ratio: 1}\n");
        first.close();
        assertEquals(1, next.registerPolicies(MapSource.MAPS));
        assertEquals(10_000, sampled());
        next.close();
        assertNull(SamplingPolicy.TYPE.registered());
    }

    @Test
    void aPolicyHeldByOtherCodeIsRefusedWithEbusy() {
        try (StructOpsMap mine = (StructOpsMap) Maps.create(SamplingPolicy.mapSpec("so_app").build());
             LoadedProbes p = load("  - {name: so_file, type: struct_ops, policy: ratio, ratio: 0.5}\n")) {
            mine.setCallback(SamplingOps.SHOULD_SAMPLE, (SamplingOps.ShouldSample) (a, b, c) -> true, 9);
            assertEquals(0, mine.attach());
            dev.sonde.maps.SondeException e = assertThrows(dev.sonde.maps.SondeException.class,
                    () -> p.registerPolicies(MapSource.MAPS));
            assertTrue(e.getMessage().contains("EBUSY (another sampling_ops policy is registered"), e.getMessage());
            assertNull(Maps.byName("so_file"), "the refused map is freed");
            assertEquals(0, mine.detach());
        }
    }

    private static String refused(String maps) {
        ProbeFileException e = assertThrows(ProbeFileException.class, () -> load(maps));
        assertFalse(e.getMessage().contains("\n"));
        assertNull(Maps.byName("so_spans"), "a refused file frees what it created");
        return e.getMessage();
    }

    @Test
    void theVerifierRefusesBadDeclarationsAtTheirLine() {
        assertTrue(refused("  - {name: x, type: struct_ops, policy: ratio, ratio: 1.5}\n")
                .startsWith("so.yaml:3:5: sampling ratio 1.5 must be within [0, 1]"));
        assertTrue(refused("  - {name: x, type: struct_ops, policy: ratio, ratio: -0.1}\n").contains("must be within [0, 1]"));
        assertTrue(refused("  - {name: x, type: struct_ops, policy: aimd, ratio: 0.5}\n")
                .contains("policy 'aimd' is unknown; valid policies: ratio"));
        assertTrue(refused("  - {name: x, type: struct_ops, ratio: 0.5}\n").contains("needs policy:"));
        assertTrue(refused("  - {name: x, type: struct_ops, policy: ratio}\n").contains("add ratio: 0.5"));
        assertTrue(refused("  - {name: x, type: struct_ops, policy: ratio, ratio: 0.5, keySize: 4}\n")
                .contains("takes its sizes from its subsystem"));
        assertTrue(refused("  - {name: x, type: struct_ops, policy: ratio, ratio: 0.5, pinning: by_name}\n")
                .contains("cannot be pinned"));
        assertTrue(refused("  - {name: x, type: hash, keySize: 8, valueSize: 8, maxEntries: 4, ratio: 0.5}\n")
                .contains("policy: and ratio: are for type: struct_ops maps, and map 'x' is a hash"));
        assertTrue(refused("  - {name: x, type: struct_ops, policy: ratio, ratio: half}\n")
                .contains("ratio: 'half' is not a number"));
        assertTrue(refused("  - {name: x, type: struct_ops, policy: ratio, ratio: 0.5}\n"
                + "  - {name: y, type: struct_ops, policy: ratio, ratio: 0.1}\n").contains("one policy at a time"));
        assertTrue(refused("  - {name: so_spans, type: struct_ops, policy: ratio, ratio: 0.1}\n").contains("declared twice"));
    }
}
