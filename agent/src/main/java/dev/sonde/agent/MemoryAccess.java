package dev.sonde.agent;

import java.lang.instrument.Instrumentation;
import java.util.Map;
import java.util.Set;

/**
 * Lets the maps runtime read and write map files with {@code jdk.internal.misc.Unsafe} on JDK 24 and later, where
 * {@code sun.misc.Unsafe}'s memory methods print a warning (JEP 498) and the checked byte-buffer accesses cost a
 * third more per relay record (benchmarks/README.md, "Relay"): exports {@code java.base}'s
 * {@code jdk.internal.misc} to the module the maps runtime was loaded into, and to it alone: the bootstrap
 * loader's unnamed module, which holds the classes agents append to the bootstrap path (Sonde's, and those of any
 * other agent that appends), never the application's. This is what
 * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED} does for a plain JVM. Must run before the maps
 * runtime's {@code HotMemory} initializes; if it cannot, the maps keep their checked accesses.
 */
final class MemoryAccess {
    private MemoryAccess() {
    }

    static void grant(Instrumentation inst) {
        if (Runtime.version().feature() < 24 || "false".equals(System.getProperty("sonde.rawMemory"))) {
            return; // before 24 sun.misc.Unsafe is silent and the maps use it
        }
        try {
            Module base = Object.class.getModule();
            // Not initialized: only the module it lives in is wanted (the bootstrap copy once BootstrapJar ran).
            Module maps = Class.forName("dev.sonde.maps.Maps", false, SondeAgent.class.getClassLoader()).getModule();
            if (inst.isModifiableModule(base) && !base.isExported("jdk.internal.misc", maps)) {
                inst.redefineModule(base, Set.of(), Map.of("jdk.internal.misc", Set.of(maps)), Map.of(), Set.of(),
                        Map.of());
            }
        } catch (ClassNotFoundException | RuntimeException e) {
            // The maps then run on their checked accesses: slower, never wrong, so nothing to report.
        }
    }
}
