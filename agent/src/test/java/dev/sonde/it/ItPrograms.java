package dev.sonde.it;

import dev.sonde.maps.MapType;
import dev.sonde.probes.OnEntry;
import dev.sonde.probes.OnExit;
import dev.sonde.probes.ProbeContext;
import dev.sonde.probes.UsesMap;

/** Java programs loaded by the agent in the integration tests, from the application's class path. */
public final class ItPrograms {
    private ItPrograms() {
    }

    /** Sums {@code work}'s return values and the square's areas (as long bits' worth of area * 100). */
    @UsesMap(name = "sums", type = MapType.HASH, keySize = 8, valueSize = 8)
    public static final class Sums {
        @OnExit(type = "dev.sonde.it.TargetApp", method = "work", descriptor = "(IJ)J")
        public static void work(ProbeContext ctx) {
            ctx.add(0, 1, 0, ctx.retLong());
        }

        @OnEntry(type = "dev.sonde.it.TargetApp$Shape+", method = "area", args = {"double"})
        public static void area(ProbeContext ctx) {
            ctx.add(0, 2, 0, (long) (ctx.argDouble(0) * 100));
        }
    }

    /** Always throws: the agent must switch it off and the application must never see it. */
    @UsesMap(name = "sums", type = MapType.HASH)
    public static final class Throws {
        @OnEntry(type = "dev.sonde.it.TargetApp", method = "work")
        public static void boom(ProbeContext ctx) {
            throw new IllegalStateException("probe bug");
        }
    }
}
