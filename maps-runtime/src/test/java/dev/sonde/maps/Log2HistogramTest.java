package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Log2HistogramTest {
    @Test
    void bucketsArePowersOfTwo() {
        assertEquals(0, Log2Histogram.bucket(0));
        assertEquals(0, Log2Histogram.bucket(-5));
        assertEquals(1, Log2Histogram.bucket(1));
        assertEquals(2, Log2Histogram.bucket(2));
        assertEquals(2, Log2Histogram.bucket(3));
        assertEquals(3, Log2Histogram.bucket(4));
        assertEquals(11, Log2Histogram.bucket(1024));
        assertEquals(10, Log2Histogram.bucket(1023));
        assertEquals(63, Log2Histogram.bucket(Long.MAX_VALUE));
        for (int i = 1; i < 63; i++) {
            assertEquals(i, Log2Histogram.bucket(Log2Histogram.lowerBound(i)));
            assertEquals(i, Log2Histogram.bucket(Log2Histogram.lowerBound(i + 1) - 1));
        }
    }

    @Test
    void formatsAsBpftrace() {
        long[] c = new long[64];
        c[9] = 2;    // [256, 512)
        c[11] = 8;   // [1K, 2K)
        String s = Log2Histogram.format(c);
        String[] lines = s.split("\n");
        assertEquals(3, lines.length, s);
        assertTrue(lines[0].startsWith("[256, 512)"), lines[0]);
        assertTrue(lines[1].startsWith("[512, 1K)"), lines[1]);
        assertTrue(lines[2].startsWith("[1K, 2K)"), lines[2]);
        assertTrue(lines[2].contains("|" + "@".repeat(52) + "|"), lines[2]);
        assertTrue(lines[0].contains("|" + "@".repeat(13) + " ".repeat(39) + "|"), lines[0]);
        assertEquals("", Log2Histogram.format(new long[64]));
    }
}
