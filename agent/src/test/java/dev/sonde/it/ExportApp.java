package dev.sonde.it;

/** ExportIT's application: {@code n} calls of {@code outer}, each calling {@code inner} once, then one throwing call; then it exits. */
public final class ExportApp {
    private ExportApp() {
    }

    public static long outer(int i) {
        return inner(i * 2L) + 1;
    }

    public static long inner(long x) {
        long end = System.nanoTime() + 1_000; // a duration no clock can report as 0
        long v = x;
        while (System.nanoTime() < end) {
            v = v * 31 + 7;
        }
        return v;
    }

    public static int fail(int i) {
        throw new IllegalStateException("fail " + i);
    }

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += outer(i);
        }
        try {
            fail(n);
        } catch (IllegalStateException expected) {
            sum++;
        }
        System.out.println("DONE " + (sum != 0));
    }
}
