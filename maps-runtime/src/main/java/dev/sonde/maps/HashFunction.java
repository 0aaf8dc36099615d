package dev.sonde.maps;

/**
 * The hashes of hash-map keys, named by the file's {@code hash_algo} word. The key is read as little-endian 8-byte
 * chunks, the last one zero-padded; a key of 4 or 8 bytes is one chunk, so the {@code long} forms give the same
 * hash as the bytes: the typed and the {@code byte[]} paths agree. Each definition is part of the file format;
 * never change one, add a new algorithm number instead.
 *
 * <ul>
 *   <li><b>mix64 v1</b> ({@link HashLayout#HASH_ALGO_MIX64_V1}, the first format, still read): each chunk
 *   folded in with a multiply and SplitMix64's finalizer; the home slot is the hash's low bits.</li>
 *   <li><b>fib64 v2</b> ({@link HashLayout#HASH_ALGO_FIB64_V2}): a key of one chunk is hashed by a single
 *   multiply by 2^64/φ, {@code (start ^ chunk) * K0} (Knuth's multiplicative, "Fibonacci", hashing), and the
 *   home slot is the product's <em>top</em> bits, which depend on every bit of the key (its low bits depend only
 *   on the key's bits below them). Longer keys take mix64's chunk loop, whose top bits are as good. One multiply
 *   on the lookup's critical path instead of three. Most keys programs use (counters, ids, aligned addresses,
 *   keys packed from fields, doubles' bits) it spreads more evenly than a random function would, since
 *   consecutive keys land far apart; the worst pattern found, 65536 keys 2^16 apart, averages 4 extra probes.
 *   HashFunctionTest measures the probe lengths.</li>
 * </ul>
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

    /** mix64 v1 of a key that is a single chunk (1 to 8 bytes), from {@link #start}. */
    static long hashChunk(long start, long chunk) {
        return mix(start + chunk * K1);
    }

    /**
     * fib64 v2 of a key that is a single chunk (1 to 8 bytes), from {@link #start}: its top bits index the table.
     * The xor brings the per-map seed in, so keys that collide in one map need not collide in another.
     */
    static long fibChunk(long start, long chunk) {
        return (start ^ chunk) * K0;
    }

    /** fib64 v2 of a key of any length: {@link #fibChunk} for one chunk, mix64's loop for more. */
    static long fib(long start, byte[] key) {
        return key.length <= 8 ? fibChunk(start, leChunk(key, 0, key.length)) : hash(start, key);
    }

    /** fib64 v2 of a key stored in map memory at {@code off}, {@code len} bytes: equal to {@link #fib}. */
    static long fib(long start, java.nio.ByteBuffer mem, int off, int len) {
        return len <= 8 ? fibChunk(start, leChunk(mem, off, off + len)) : hash(start, mem, off, len);
    }

    /** Bytes {@code from} to {@code to} (at most 8) of {@code key} as a little-endian, zero-padded chunk. */
    static long leChunk(byte[] key, int from, int to) {
        long t = 0;
        for (int i = from, s = 0; i < to; i++, s += 8) {
            t |= (key[i] & 0xFFL) << s;
        }
        return t;
    }

    static long hash(long start, byte[] key) {
        int len = key.length;
        long h = start;
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            h = mix(h + leLong(key, i) * K1);
        }
        if (i < len) {
            h = mix(h + leChunk(key, i, len) * K1);
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
            h = mix(h + leChunk(mem, off + i, off + len) * K1);
        }
        return h;
    }

    /** As {@link #leChunk(byte[], int, int)}, from map memory. */
    private static long leChunk(java.nio.ByteBuffer mem, int from, int to) {
        long t = 0;
        for (int i = from, s = 0; i < to; i++, s += 8) {
            t |= (mem.get(i) & 0xFFL) << s;
        }
        return t;
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
