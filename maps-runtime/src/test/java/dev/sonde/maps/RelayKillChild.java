package dev.sonde.maps;

import static dev.sonde.maps.RelayTestSupport.*;

import java.util.concurrent.locks.LockSupport;

/**
 * The JVM that {@link RelayCrashTest} kills with SIGKILL: one writer thread per shard of a 2-shard overwrite
 * relay (with private files when the second argument is {@code private}), each printing {@code C <thread> <seq>} after committing every 50th record. Throttled so that what it
 * reports is still in the buffer when the parent's SIGKILL lands.
 */
public final class RelayKillChild {
    private RelayKillChild() {
    }

    public static void main(String[] args) {
        RelayMap m = (RelayMap) Maps.create(MapSpec.builder(MapType.RELAY).name(args[0]).keySize(4).valueSize(64)
                .subbufSize(4096).nSubbufs(256).numShards(2).flags(MapSpec.F_RELAY_OVERWRITE
                        | (args.length > 1 && args[1].equals("private") ? MapSpec.F_RELAY_PRIVATE_SHARDS : 0)).build());
        Thread[] writers = new Thread[2];
        while (writers[0] == null || writers[1] == null) {
            int[] tid = new int[1];
            Thread th = new Thread(() -> write(m, tid[0]));
            @SuppressWarnings("deprecation")
            int shard = (int) th.getId() & 1;
            if (writers[shard] == null) {
                tid[0] = shard;
                writers[shard] = th;
            }
        }
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();
        writers[0].start();
        writers[1].start();
    }

    private static void write(RelayMap m, int tid) {
        byte[] buf = new byte[256];
        for (long seq = 0;; seq++) {
            int size = sizeOf(seq, 100);
            fill(buf, size, tid, seq);
            int r;
            if ((seq & 1) == 0) {
                r = m.output(buf, 0, size);
            } else {
                long h = m.reserve(size);
                if (h < 0) {
                    r = (int) h;
                } else {
                    m.putBytes(h, 0, buf, 0, size);
                    r = m.commit(h);
                }
            }
            if (r != 0) {
                System.out.println("ERR " + tid + " " + seq + " " + Errno.name(r));
                System.out.flush();
                return;
            }
            if (seq % 50 == 0) {
                synchronized (System.out) {
                    System.out.println("C " + tid + " " + seq);
                    System.out.flush();
                }
                LockSupport.parkNanos(1_000_000);
            }
        }
    }
}
