package dev.sonde.probes.load;

import dev.sonde.maps.MapType;
import dev.sonde.probes.OnEntry;
import dev.sonde.probes.OnExit;
import dev.sonde.probes.ProbeContext;
import dev.sonde.probes.UsesMap;

/** Java programs for the loader tests. */
final class SamplePrograms {
    private SamplePrograms() {
    }

    /** Sums argument 0 per method and counts exits. */
    @UsesMap(name = "sums", type = MapType.HASH, keySize = 8, valueSize = 16)
    public static final class SumArgs {
        @OnEntry(type = "com.example.Calc", method = "add", args = {"long"})
        public static void entry(ProbeContext ctx) {
            ctx.add(0, ctx.methodId(), 0, ctx.argLong(0));
        }

        @OnExit(type = "com.example.Calc", method = "add")
        public static void exit(ProbeContext ctx) {
            ctx.add(0, ctx.methodId(), 8, 1);
        }
    }

    @UsesMap(name = "sums", type = MapType.ARRAY)
    public static final class WantsArray {
        @OnEntry(type = "com.example.Calc")
        public static void entry(ProbeContext ctx) {
        }
    }

    public static final class BadSignature {
        @OnEntry(type = "com.example.Calc")
        public void entry(ProbeContext ctx) {
        }
    }
}
