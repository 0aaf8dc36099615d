package dev.sonde.probes.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Log2Histogram;
import dev.sonde.maps.Maps;
import dev.sonde.probes.AttachPoint;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.Program;
import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.config.ProbeFileParser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A probe file loaded against the real map types ({@link MapSource#MAPS}), under {@code sonde.dir}. */
class RealMapsTest {
    private static final TargetMethod M = new TargetMethod(12, "a.B", "m", "(I)V", new String[] {"int"}, "void");

    private static AttachPoint attach(List<Binding> bindings) {
        List<Program> en = new ArrayList<>();
        List<Program> ex = new ArrayList<>();
        for (Binding b : bindings) {
            b.program().checkTarget(M);
            (b.program().kind() == ProbeKind.ENTRY ? en : ex).add(b.program());
        }
        return new AttachPoint(M, en.toArray(new Program[0]), ex.toArray(new Program[0]), new Program[0]);
    }

    @Test
    void countsAndHistogramsLandInRealMaps() {
        String yaml = String.join("\n",
                "maps:",
                "  - {name: rm_calls, type: hash, keySize: 8, valueSize: 8, maxEntries: 16}",
                "  - {name: rm_byarg, type: array, keySize: 4, valueSize: 8, maxEntries: 4}",
                "  - {name: rm_lat, type: percpu_array, keySize: 4, valueSize: 8, maxEntries: 64}",
                "probes:",
                "  - {class: a.B, program: count, maps: [rm_calls]}",
                "  - {class: a.B, program: count, maps: [rm_byarg], options: {arg: 0}}",
                "  - {class: a.B, program: latency, maps: [rm_lat]}",
                "");
        Path file;
        try (LoadedProbes p = new ProbeLoader(MapSource.MAPS, getClass().getClassLoader())
                .load(ProbeFileParser.parse("rm.yaml", yaml, false))) {
            AttachPoint ap = attach(p.bindings());
            for (int i = 0; i < 100; i++) {
                long start = ap.enter(i % 4, 0, 0, 0, 0, 0);
                ap.exit(start, 0, null, i % 4, 0, 0, 0, 0, 0);
            }
            BpfMap calls = Maps.byName("rm_calls");
            assertEquals(100, calls.getLong(calls.lookupElem(12), 0));
            BpfMap byArg = Maps.byName("rm_byarg");
            for (int k = 0; k < 4; k++) {
                assertEquals(25, byArg.getLong(byArg.lookupElem(k), 0));
            }
            BpfMap lat = Maps.byName("rm_lat");
            long total = 0;
            byte[] v = new byte[lat.valueBufferSize()];
            for (int i = 0; i < Log2Histogram.BUCKETS; i++) {
                assertEquals(0, lat.lookup(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(i).array(), v));
                ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
                for (int s = 0; s < v.length; s += 8) {
                    total += b.getLong(s);
                }
            }
            assertEquals(100, total, "every timed call in exactly one bucket of one shard");
            file = calls.path();
            assertTrue(Files.exists(file));
            assertTrue(file.startsWith(Path.of(System.getProperty("sonde.dir", "target/sonde-test")).toAbsolutePath()));
        }
        assertNull(Maps.byName("rm_calls"), "closing the file's programs and maps frees them");
        assertFalse(Files.exists(file));
    }
}
