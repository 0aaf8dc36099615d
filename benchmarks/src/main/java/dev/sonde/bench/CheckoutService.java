package dev.sonde.bench;

import dev.sonde.probes.TargetMethod;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;

/**
 * The methods whose calls the export benchmark turns into spans: real methods with primitive parameters, so the
 * span records carry their hook ids and argument words as the {@code span} program writes them, and the decoder
 * names them (class, method, typed {@code arg0}, {@code arg1}) from {@link #hookTable()}.
 */
public final class CheckoutService {
    private static final String[] METHODS = {"price", "reserve", "charge", "ship"};

    public long price(long sku, int quantity) {
        return sku * quantity;
    }

    public boolean reserve(long sku, int quantity) {
        return sku > quantity;
    }

    public double charge(long account, double amount) {
        return account + amount;
    }

    public void ship(long order, boolean express) {
        // a span with no return value
    }

    /** The four methods as the agent's hook table registers them: hook ids 1..4, in {@link #METHODS} order. */
    static TargetMethod[] hookTable() {
        TargetMethod[] t = new TargetMethod[METHODS.length];
        for (int i = 0; i < METHODS.length; i++) {
            Method m = find(METHODS[i]);
            Class<?>[] p = m.getParameterTypes();
            String[] params = new String[p.length];
            for (int j = 0; j < p.length; j++) {
                params[j] = p[j].getName();
            }
            t[i] = new TargetMethod(i + 1, CheckoutService.class.getName(), m.getName(),
                    MethodType.methodType(m.getReturnType(), p).toMethodDescriptorString(), params,
                    m.getReturnType().getName());
        }
        return t;
    }

    private static Method find(String name) {
        for (Method m : CheckoutService.class.getDeclaredMethods()) {
            if (m.getName().equals(name)) {
                return m;
            }
        }
        throw new IllegalStateException("CheckoutService has no method " + name);
    }
}
