package dev.sonde.bench;

import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.RelayMap;
import java.lang.management.ManagementFactory;
import java.util.concurrent.locks.LockSupport;

/**
 * What a relay's clock costs the whole JVM, not one write: writes one 32-byte record every {@code periodMicros}
 * for ten seconds and prints the process's CPU time over them. The coarse clock's ticker thread is the
 * difference between {@code coarse} and {@code precise}. Not a JMH benchmark: JMH measures the writing thread.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar dev.sonde.bench.RelayClockCpu coarse 100000}
 * (then {@code precise}, and periods of 10000 and 1000 µs).
 */
public final class RelayClockCpu {
    private RelayClockCpu() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2 || !(args[0].equals("coarse") || args[0].equals("precise"))) {
            System.err.println("usage: RelayClockCpu coarse|precise <microseconds between writes>");
            System.exit(2);
        }
        boolean coarse = args[0].equals("coarse");
        long periodNanos = Long.parseLong(args[1]) * 1000;
        BenchDir.ensure();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (RelayMap relay = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name("clock_cpu")
                .keySize(4).valueSize(64).subbufSize(1 << 16).nSubbufs(4).numShards(1)
                .flags(MapSpec.F_RELAY_OVERWRITE | (coarse ? MapSpec.F_RELAY_COARSE_CLOCK : 0)).build())) {
            byte[] record = new byte[32];
            Thread.sleep(1000); // past start-up's compilation
            long cpu = os.getProcessCpuTime();
            long start = System.nanoTime();
            while (System.nanoTime() - start < 10_000_000_000L) {
                relay.output(record);
                LockSupport.parkNanos(periodNanos);
            }
            System.out.printf("%s clock, a record every %d us: %.0f ms of CPU in 10 s%n", args[0],
                    periodNanos / 1000, (os.getProcessCpuTime() - cpu) / 1e6);
        }
    }
}
