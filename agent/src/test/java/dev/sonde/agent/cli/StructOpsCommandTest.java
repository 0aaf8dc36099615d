package dev.sonde.agent.cli;

import static dev.sonde.agent.cli.MapCommandTest.sonde;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sonde.agent.cli.MapCommandTest.Result;
import dev.sonde.maps.Maps;
import dev.sonde.maps.StructOpsMap;
import dev.sonde.probes.structops.SamplingOps;
import dev.sonde.probes.structops.SamplingPolicy;
import org.junit.jupiter.api.Test;

/** {@code sonde struct_ops list|dump} over the sampling policy subsystem, through its life cycle. */
class StructOpsCommandTest {
    private static final String PID = Long.toString(ProcessHandle.current().pid());

    @Test
    void showsStateAndProgramsThroughTheLifeCycle() throws Exception {
        try (StructOpsMap m = (StructOpsMap) Maps.create(SamplingPolicy.mapSpec("cli_sampling").build())) {
            m.setCallback(SamplingOps.SHOULD_SAMPLE, (SamplingOps.ShouldSample) (id, t, now) -> true, 41);
            Result init = sonde("struct_ops", "list", PID);
            assertEquals(0, init.code, init.err);
            assertTrue(init.out.contains(m.id() + ": cli_sampling  sampling_ops  state init  refcnt 0"), init.out);

            assertEquals(0, m.attach());
            Result dump = sonde("struct_ops", "dump", PID, "cli_sampling");
            assertEquals(0, dump.code, dump.err);
            assertTrue(dump.out.contains("state inuse  refcnt 1"), dump.out);
            assertTrue(dump.out.matches("(?s).*should_sample\\s+prog 41\\n.*"), dump.out);
            assertTrue(dump.out.matches("(?s).*on_span_end\\s+\\(default\\)\\s+\\(optional\\).*"), dump.out);

            JsonNode json = new ObjectMapper().readTree(sonde("struct_ops", "dump", PID, "-j").out);
            JsonNode mine = null;
            for (JsonNode n : json) {
                if (n.get("name").asText().equals("cli_sampling")) {
                    mine = n;
                }
            }
            assertEquals("inuse", mine.get("state").asText());
            assertEquals(41, mine.get("callbacks").get(0).get("prog_id").asInt());

            assertEquals(0, m.detach());
            assertTrue(sonde("struct_ops", "list", PID).out.contains("cli_sampling  sampling_ops  state tobefree"));
        }
        Result none = sonde("struct_ops", "dump", PID, "cli_sampling");
        assertEquals(CliError.NOT_FOUND, none.code);
        assertTrue(none.err.contains("no struct_ops map 'cli_sampling'"), none.err);
    }
}
