package dev.sonde.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.SondeException;
import dev.sonde.probes.Program;
import dev.sonde.probes.builtin.Count;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.resources.Resource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Sonde's own metrics as produced for a collection. */
class SondeTelemetryTest {
    private static Map<String, Long> byProgram(SondeTelemetry t, String metric) {
        Map<String, Long> m = new HashMap<>();
        for (MetricData d : t.produce(Resource.getDefault())) {
            if (d.getName().equals(metric)) {
                for (LongPointData p : d.getLongSumData().getPoints()) {
                    m.put(p.getAttributes().get(AttributeKey.stringKey("program")), p.getValue());
                }
            }
        }
        return m;
    }

    @Test
    void programs_from_a_changing_source_are_read_at_each_collection() {
        SondeTelemetry t = new SondeTelemetry();
        try (BpfMap counts = Maps.create(MapSpec.builder(MapType.HASH).name("tel_counts").keySize(8).valueSize(8)
                .maxEntries(4).build())) {
            List<Program> loaded = new ArrayList<>();
            t.registerPrograms(() -> loaded);
            assertEquals(Map.of(), byProgram(t, "sonde.program.runs"));
            Count c = new Count("count_calls", counts, Count.NO_ARG);
            loaded.add(c);
            assertEquals(Map.of("count_calls", 0L), byProgram(t, "sonde.program.runs"));
            assertEquals(Map.of("count_calls", 0L), byProgram(t, "sonde.program.errors"));
            loaded.clear();
            c.close();
            assertEquals(Map.of(), byProgram(t, "sonde.program.runs"));
        }
    }

    @Test
    void an_unknown_drop_cause_names_the_known_ones() {
        SondeException e = assertThrows(SondeException.class, () -> new SondeTelemetry().dropped("lost", 1));
        assertEquals(22, e.errno());
        assertEquals(true, e.getMessage().contains("ring_full, relay_overwritten, export_failed, batch_dropped"));
    }
}
