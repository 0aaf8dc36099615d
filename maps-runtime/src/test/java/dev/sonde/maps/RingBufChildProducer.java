package dev.sonde.maps;

/**
 * Run by {@link RingBufCrossProcessTest} in a second JVM: creates a ring, prints its path, produces
 * {@code args[0]} records (seq u64, checksum u64, filler to a size that varies with seq), retrying while the ring
 * is full, then waits for the other process to consume everything before it frees the ring.
 */
public final class RingBufChildProducer {
    private RingBufChildProducer() {
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        RingBuf rb = (RingBuf) Maps.create(MapSpec.builder(MapType.RINGBUF).name("xproc").maxEntries(1 << 14).build());
        System.out.println("READY " + rb.path());
        System.out.flush();
        byte[] filler = new byte[200];
        long deadline = System.nanoTime() + 60_000_000_000L;
        for (long seq = 0; seq < n; seq++) {
            int size = RingBufCrossProcessTest.sizeOf(seq);
            long h;
            while ((h = rb.reserve(size)) < 0) {
                if (System.nanoTime() > deadline) {
                    System.out.println("TIMEOUT at " + seq);
                    System.exit(2);
                }
                Thread.onSpinWait();
            }
            rb.putLong(h, 0, seq);
            rb.putLong(h, 8, RingBufCrossProcessTest.checksum(seq));
            rb.putBytes(h, 16, filler, 0, size - 16);
            rb.commit(h, 0);
        }
        while (rb.query(RingBuf.CONS_POS) != rb.query(RingBuf.PROD_POS) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        System.out.println("DONE dropped=" + rb.droppedRecords());
        rb.close();
    }
}
