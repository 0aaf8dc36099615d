package dev.sonde.bridge;

import dev.sonde.probes.AttachPoint;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The fixed hook every instrumented method calls, on the bootstrap class path so code of any class loader
 * reaches it. Slot {@code id} holds the method's {@link AttachPoint}; replacing programs swaps the slot and
 * never retransforms (programs are data behind a fixed hook). Nothing here throws into the application.
 */
public final class Hooks {
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(AttachPoint[].class);
    private static final VarHandle ERRORS;

    static {
        try {
            ERRORS = MethodHandles.lookup().findStaticVarHandle(Hooks.class, "bridgeErrors", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Grown by copy under the class lock; the volatile write publishes a fully copied array. */
    private static volatile AttachPoint[] slots = new AttachPoint[256];
    private static volatile long bridgeErrors;

    private Hooks() {
    }

    /**
     * Method entry: runs the entry programs; returns the start time for the exit, {@link AttachPoint#NO_START},
     * or {@link AttachPoint#NO_EXIT} when the advice may skip the exit call (an empty hook costs one slot read).
     */
    public static long enter(int id, long a0, long a1, long a2, long a3, long a4, long a5) {
        AttachPoint[] s = slots;
        if (id >= s.length) {
            return AttachPoint.NO_EXIT;
        }
        // Acquire pairs with set's release: a thread that sees the attach point sees its programs built.
        AttachPoint p = (AttachPoint) SLOTS.getAcquire(s, id);
        if (p == null) {
            return AttachPoint.NO_EXIT;
        }
        try {
            return p.enter(a0, a1, a2, a3, a4, a5);
        } catch (Throwable t) {
            ERRORS.getAndAdd(1L); // atomic: any application thread may land here
            return AttachPoint.NO_START;
        }
    }

    /** Method exit, normal ({@code thrown == null}) or by exception. */
    public static void exit(int id, long start, long retBits, Throwable thrown, long a0, long a1, long a2, long a3,
            long a4, long a5) {
        AttachPoint[] s = slots;
        if (id >= s.length) {
            return;
        }
        AttachPoint p = (AttachPoint) SLOTS.getAcquire(s, id);
        if (p == null) {
            AttachPoint.abandon(start); // unloaded mid-call: the entry's call id still comes off the stack
            return;
        }
        try {
            p.exit(start, retBits, thrown, a0, a1, a2, a3, a4, a5);
        } catch (Throwable t) {
            ERRORS.getAndAdd(1L);
        }
    }

    /** Installs (or with null removes) the programs of hook {@code id}. */
    public static synchronized void set(int id, AttachPoint p) {
        AttachPoint[] s = slots;
        if (id >= s.length) {
            AttachPoint[] grown = new AttachPoint[Math.max(id + 1, s.length * 2)];
            System.arraycopy(s, 0, grown, 0, s.length);
            s = grown;
            slots = s;
        }
        // Release: the attach point and its programs are fully built before any hook can see them.
        SLOTS.setRelease(s, id, p);
    }

    /** Removes every hook's programs: the methods stay instrumented and run the empty fast path. */
    public static synchronized void clear() {
        slots = new AttachPoint[slots.length];
    }

    public static AttachPoint get(int id) {
        AttachPoint[] s = slots;
        return id < s.length ? (AttachPoint) SLOTS.getAcquire(s, id) : null;
    }

    /** Failures inside the bridge itself (programs' own exceptions are counted in their stats). */
    public static long bridgeErrors() {
        return bridgeErrors;
    }
}
