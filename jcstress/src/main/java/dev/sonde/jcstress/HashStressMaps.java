package dev.sonde.jcstress;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapSpec;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One shared hash map per jcstress JVM: a map per test state would create a file per state. Each state takes a
 * fresh key and the arbiter deletes it, so the map never fills and slots are reused all the time, which is the
 * path most worth stressing.
 */
final class HashStressMaps {
    /** 16-byte values: two words, so a torn read shows as two different words. */
    static final BpfMap HASH;
    /**
     * 8-byte keys and values: hash format 3 (FoldedHashLayout), whose writers of one home take turns. Seed 0, so
     * that {@link #sameHome} can find keys that share a home slot.
     */
    static final BpfMap FOLDED;
    private static final int FOLDED_MAX = 1 << 18;
    /** fib64 v2's multiplier (HashFunction.K0) and its inverse mod 2^64. */
    private static final long K0 = 0x9E3779B97F4A7C15L;
    private static final long K0_INVERSE = java.math.BigInteger.valueOf(K0)
            .modInverse(java.math.BigInteger.ONE.shiftLeft(64)).longValue();
    private static final AtomicLong NEXT_KEY = new AtomicLong();

    static {
        if (System.getProperty("sonde.dir") == null) {
            System.setProperty("sonde.dir", System.getProperty("java.io.tmpdir") + "/sonde-jcstress");
        }
        HASH = Maps.create(MapSpec.builder(MapType.HASH).keySize(8).valueSize(16).maxEntries(1 << 18).build());
        FOLDED = Maps.create(MapSpec.builder(MapType.HASH).keySize(8).valueSize(8).maxEntries(FOLDED_MAX)
                .flags(MapSpec.F_ZERO_SEED).build());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            HASH.close();
            FOLDED.close();
        }));
    }

    private HashStressMaps() {
    }

    static long nextKey() {
        return NEXT_KEY.getAndIncrement();
    }

    static byte[] key(long k) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(k).array();
    }

    static byte[] value(long word) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(word).putLong(word).array();
    }

    static byte[] word(long w) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(w).array();
    }

    /**
     * A key whose home slot in FOLDED is {@code key}'s: fib64 v2 hashes an 8-byte key k to (start ^ k) * K0 with
     * start = 8 * K0 for seed 0, and the home is the top bits; this key's product is one more than key's, so its top
     * bits are the same (unless the low 45 bits carry, one key in 2^45). If the hash changed, the arbiter of
     * FoldedDeleteReuse would report no reuse, an interesting outcome, instead of failing.
     */
    static long sameHome(long key) {
        long start = 8 * K0;
        return start ^ ((start ^ key) + K0_INVERSE);
    }

    /** FOLDED's value of {@code key}, 0 for absent. */
    static long readFolded(byte[] key) {
        byte[] v = new byte[8];
        return FOLDED.lookup(key, v) != 0 ? 0 : ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    /** 0 for absent, the word for a whole value, -1 for a torn one. */
    static long read(byte[] key) {
        byte[] v = new byte[16];
        if (HASH.lookup(key, v) != 0) {
            return 0;
        }
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        long a = b.getLong(0);
        return a == b.getLong(8) ? a : -1;
    }
}
