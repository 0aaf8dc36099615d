package dev.sonde.maps;

/**
 * mix64 v1, the hash of hash-map keys ({@link HashLayout#HASH_ALGO_MIX64_V1}): the key is read as little-endian
 * 8-byte chunks (the last one zero-padded), each folded in with a multiply and SplitMix64's finalizer. A key of
 * 4 or 8 bytes is one chunk, so {@link #hashChunk} on the key as a {@code long} gives the same hash as the bytes:
 * the typed and the {@code byte[]} paths agree. The definition is part of the file format; never change it,
 * add a new algorithm number instead.
 */
final class HashFunction {
    static final long K0 = 0x9E3779B97F4A7C15L;
    static final long K1 = 0xC2B2AE3D27D4EB4FL;

    private HashFunction() {
    }

    /** The per-map starting value for keys of {@code keySize} bytes. */
    static long start(long seed, int keySize) {
        return seed ^ (keySize * K0);
    }

    /** Hash of a key that is a single chunk (1 to 8 bytes), from {@link #start}. */
    static long hashChunk(long start, long chunk) {
        return mix(start + chunk * K1);
    }

    static long hash(long start, byte[] key) {
        int len = key.length;
        long h = start;
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            h = mix(h + leLong(key, i) * K1);
        }
        if (i < len) {
            long t = 0;
            for (int s = 0; i < len; i++, s += 8) {
                t |= (key[i] & 0xFFL) << s;
            }
            h = mix(h + t * K1);
        }
        return h;
    }

    /** Hash of a key stored in map memory at {@code off}, {@code len} bytes: equal to {@link #hash(long, byte[])}. */
    static long hash(long start, java.nio.ByteBuffer mem, int off, int len) {
        long h = start;
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            h = mix(h + mem.getLong(off + i) * K1);
        }
        if (i < len) {
            long t = 0;
            for (int s = 0; i < len; i++, s += 8) {
                t |= (mem.get(off + i) & 0xFFL) << s;
            }
            h = mix(h + t * K1);
        }
        return h;
    }

    static long leLong(byte[] b, int i) {
        return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24
                | (b[i + 4] & 0xFFL) << 32 | (b[i + 5] & 0xFFL) << 40 | (b[i + 6] & 0xFFL) << 48
                | (b[i + 7] & 0xFFL) << 56;
    }

    /** SplitMix64's finalizer: every input bit reaches every output bit, so the low bits index well. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
