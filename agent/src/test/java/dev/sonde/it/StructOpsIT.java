package dev.sonde.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A probe file's struct_ops sampling policy in a real JVM: registered at start, across a reload, gone on unload. */
class StructOpsIT {
    private static final String FILE = String.join("\n",
            "maps:",
            "  - {name: so_ring, type: ringbuf, maxEntries: 65536}",
            "  - {name: so_half, type: struct_ops, policy: ratio, ratio: 0.5}",
            "probes:",
            "  - {class: dev.sonde.it.TargetApp, method: work, program: span, maps: [so_ring]}",
            "");

    @Test
    void aProbeFilePolicyIsRegisteredReloadedAndUnregistered() throws Exception {
        String home = System.getProperty("java.home");
        Path d = Paths.get(System.getProperty("sonde.dir", "target/sonde-it")).toAbsolutePath().resolve("so");
        Files.createDirectories(d);
        Path yaml = d.resolve("so.yaml");
        Files.writeString(yaml, FILE);
        try (TargetJvm jvm = TargetJvm.start(home, d, "config=" + yaml, 100)) {
            assertTrue(jvm.awaitReady(60), jvm.err.toString());
            String pid = Long.toString(jvm.process.pid());
            String[] dump = TargetJvm.cli(home, d, "struct_ops", "dump", pid);
            assertEquals("0", dump[0], dump[1]);
            assertTrue(dump[1].matches("(?s)\\d+: so_half  sampling_ops  state inuse  refcnt 1\\n\\tshould_sample +prog 2\\n.*"),
                    dump[1]);

            String[] reload = TargetJvm.cli(home, d, "load", pid, yaml.toString());
            assertEquals("0", reload[0], reload[1]);
            assertTrue(reload[1].endsWith("1 programs, 2 maps, 0 classes retransformed; 1 struct_ops registered"), reload[1]);
            assertTrue(TargetJvm.cli(home, d, "struct_ops", "list", pid)[1].contains("so_half  sampling_ops  state inuse"));

            String[] unload = TargetJvm.cli(home, d, "unload", pid);
            assertEquals("0", unload[0], unload[1]);
            String[] after = TargetJvm.cli(home, d, "struct_ops", "list", pid);
            assertFalse(after[1].contains("so_half"), "unload unregisters and frees the policy: " + after[1]);
            assertEquals(List.of(), jvm.sondeErrors());
        }
    }
}
