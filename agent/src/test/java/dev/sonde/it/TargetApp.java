package dev.sonde.it;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The application the integration tests instrument: calls its methods a known number of times, prints its
 * results and {@code READY}, then stays alive until stdin closes, so the test reads its maps from outside; each {@code run} line on
 * stdin runs the workload again.
 */
public final class TargetApp {
    private TargetApp() {
    }

    /** Probed per key (argument 0). */
    public static long work(int key, long x) {
        return x * 31 + key;
    }

    /** Probed for its latency. */
    public static void pause(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    /** Throws on odd input: probed for exceptions. */
    public static int check(int i) {
        if ((i & 1) != 0) {
            throw new IllegalStateException("odd " + i);
        }
        return i;
    }

    /** An instance method reached through an interface, for the {@code Type+} pattern. */
    public interface Shape {
        double area(double scale);
    }

    public static final class Square implements Shape {
        @Override
        public double area(double scale) {
            return scale * scale;
        }
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        // What the application's class loader can see of the agent: the bridge only.
        System.out.println("VISIBLE agent=" + visible("dev.sonde.agent.AgentRuntime") + " shaded="
                + visible("dev.sonde.shaded.jackson.databind.ObjectMapper") + " bridge=" + visible("dev.sonde.bridge.Hooks"));
        runOnce(n);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("run")) {
                runOnce(n); // the control tests run the workload again after loading other probes
            }
        }
    }

    private static boolean visible(String name) {
        try {
            Class.forName(name, false, TargetApp.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static void runOnce(int n) {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += work(i % 3, i);
        }
        for (int i = 0; i < 10; i++) {
            pause(1_000_000);
        }
        int thrown = 0;
        for (int i = 0; i < n; i++) {
            try {
                check(i);
            } catch (IllegalStateException e) {
                thrown++;
            }
        }
        Shape s = new Square();
        double area = 0;
        for (int i = 0; i < 5; i++) {
            area += s.area(2);
        }
        System.out.println("RESULT sum=" + sum + " thrown=" + thrown + " area=" + area);
        System.out.println("READY");
        System.out.flush();
    }
}
