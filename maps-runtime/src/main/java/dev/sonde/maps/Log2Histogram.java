package dev.sonde.maps;

/**
 * bpftrace's {@code hist()}: bucket {@code 0} counts the value 0 and bucket {@code i ≥ 1} counts values in
 * {@code [2^(i-1), 2^i)}, so bucket {@code i} is {@code 64 - numberOfLeadingZeros(v)}. Printed as bpftrace does.
 */
public final class Log2Histogram {
    /** Buckets that cover every non-negative long. */
    public static final int BUCKETS = 64;
    private static final int BAR_WIDTH = 52;

    private Log2Histogram() {
    }

    /** The bucket of {@code value}; negative values count in bucket 0. Allocation-free, branch-light. */
    public static int bucket(long value) {
        return value <= 0 ? 0 : Math.min(BUCKETS - 1, 64 - Long.numberOfLeadingZeros(value));
    }

    /** Lower bound of bucket {@code i}. */
    public static long lowerBound(int i) {
        return i == 0 ? 0 : 1L << (i - 1);
    }

    /**
     * The histogram as bpftrace prints it: one line per bucket from the first non-empty to the last,
     * {@code [256, 512)   1234 |@@@@@@@@      |}.
     */
    public static String format(long[] counts) {
        int first = -1;
        int last = -1;
        long max = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] != 0) {
                if (first < 0) {
                    first = i;
                }
                last = i;
                max = Math.max(max, counts[i]);
            }
        }
        StringBuilder b = new StringBuilder();
        for (int i = Math.max(first, 0); first >= 0 && i <= last; i++) {
            String label = i == 0 ? "[0]" : i == 1 ? "[1]" : "[" + human(lowerBound(i)) + ", " + human(lowerBound(i + 1)) + ")";
            int bar = (int) (counts[i] * BAR_WIDTH / max);
            b.append(String.format("%-20s %8d |%s%s|%n", label, counts[i], "@".repeat(bar), " ".repeat(BAR_WIDTH - bar)));
        }
        return b.toString();
    }

    /** 1024 as {@code 1K}, 1048576 as {@code 1M}: bpftrace's bucket labels. */
    static String human(long v) {
        String[] units = {"", "K", "M", "G", "T", "P", "E"};
        int u = 0;
        while (u < units.length - 1 && v >= 1024 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return v + units[u];
    }
}
