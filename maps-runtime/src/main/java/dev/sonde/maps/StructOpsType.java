package dev.sonde.maps;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * One of Sonde's own subsystems that a {@code STRUCT_OPS} map can register callbacks into: the kernel's
 * {@code struct bpf_struct_ops} ({@code tcp_congestion_ops} and friends). Sonde code defines it once, with a name,
 * its callback slots (each a functional interface, mandatory or optional, with a default implementation) and an
 * {@link Assembler} that turns one callback per slot into the subsystem's typed struct {@code S}:
 * <pre>
 *   static final StructOpsType&lt;SamplingOps&gt; TYPE = StructOpsType.builder("sampling_ops", SamplingOps::new)
 *           .mandatory("should_sample", ShouldSample.class, (methodId, threadId, now) -&gt; true)
 *           .optional("on_span_end", OnSpanEnd.class, (methodId, durationNanos) -&gt; { })
 *           .register();
 * </pre>
 *
 * <p>The hot path, callers asking "which implementation now?", is one volatile read of a reference inside a
 * read-side critical section, with no lock and no allocation:
 * <pre>
 *   int t = TYPE.enter();
 *   try { return TYPE.current().shouldSample.shouldSample(methodId, threadId, now); } finally { TYPE.exit(t); }
 * </pre>
 * A caller therefore runs one struct (the old or the new one) for its whole call, and unregistering a map
 * ({@link StructOpsMap#delete}) returns only after every call that could still see its callbacks has left them:
 * the kernel waits for an RCU grace period before freeing a struct_ops map's trampolines; this waits for a
 * {@link GracePeriod}. Registration and unregistration are control plane and must not be called from inside a
 * callback (the unregistration would wait for itself).
 *
 * @param <S> the subsystem's typed struct: immutable, one field per slot
 */
public final class StructOpsType<S> {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]{1," + StructOpsLayout.NAME_MAX + "}");
    private static final Pattern SLOT_NAME = Pattern.compile("[A-Za-z0-9_]{1," + StructOpsLayout.SLOT_NAME_MAX + "}");
    private static final ConcurrentHashMap<String, StructOpsType<?>> TYPES = new ConcurrentHashMap<>();

    /** Builds the subsystem's struct from one callback per slot, in slot order; called once per registration. */
    @FunctionalInterface
    public interface Assembler<S> {
        S assemble(Object[] callbacks);
    }

    /** A callback slot: the kernel's function-pointer member of the ops struct. */
    public static final class Slot {
        private final String name;
        private final Class<?> type;
        private final boolean mandatory;
        private final Object defaultImpl;

        Slot(String name, Class<?> type, boolean mandatory, Object defaultImpl) {
            this.name = name;
            this.type = type;
            this.mandatory = mandatory;
            this.defaultImpl = defaultImpl;
        }

        public String name() { return name; }
        /** The functional interface a callback for this slot implements. */
        public Class<?> type() { return type; }
        public boolean mandatory() { return mandatory; }
        /** What callers run when nothing is registered, or when a registration leaves this optional slot empty. */
        public Object defaultImpl() { return defaultImpl; }

        @Override
        public String toString() {
            return name + ":" + type.getSimpleName() + (mandatory ? " (mandatory)" : " (optional)");
        }
    }

    private final String name;
    private final List<Slot> slots;
    private final Assembler<S> assembler;
    private final S defaults;
    private final GracePeriod gracePeriod = new GracePeriod();
    /** The struct callers run: the registered map's, or {@link #defaults}. */
    private volatile S current;
    /** The map registered now, or null; written under this, read without it (a lookup from inside a callback). */
    private volatile StructOpsMap owner;

    private StructOpsType(String name, List<Slot> slots, Assembler<S> assembler) {
        this.name = name;
        this.slots = Collections.unmodifiableList(new ArrayList<>(slots));
        this.assembler = assembler;
        Object[] d = new Object[slots.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = slots.get(i).defaultImpl;
        }
        this.defaults = Objects.requireNonNull(assembler.assemble(d), "assembler returned null");
        this.current = defaults;
    }

    public static <S> Builder<S> builder(String name, Assembler<S> assembler) {
        return new Builder<>(name, assembler);
    }

    /** The registered subsystem called {@code name}, or null. */
    public static StructOpsType<?> byName(String name) {
        return name == null ? null : TYPES.get(name);
    }

    // ---- the hot path -------------------------------------------------------------------------------------

    /** Enters a call into the subsystem; pass the token to {@link #exit(int)}, in a {@code finally}. */
    public int enter() {
        return gracePeriod.enter();
    }

    /** The struct to call now; only between {@link #enter()} and {@link #exit(int)}. */
    public S current() {
        // Volatile (a plain load on x86): GracePeriod's argument needs it ordered after enter()'s increment.
        return current;
    }

    public void exit(int token) {
        gracePeriod.exit(token);
    }

    // ---- description --------------------------------------------------------------------------------------

    public String name() { return name; }
    public int slotCount() { return slots.size(); }
    public Slot slot(int index) { return slots.get(index); }
    public List<Slot> slots() { return slots; }
    /** The struct of the default implementations. */
    public S defaults() { return defaults; }

    /** The slot called {@code slotName}, or -1. */
    public int slotIndex(String slotName) {
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).name.equals(slotName)) {
                return i;
            }
        }
        return -1;
    }

    /** The map whose callbacks are registered now, or null when callers run the defaults. */
    public StructOpsMap registered() {
        return owner;
    }

    /** Calls inside the subsystem at this moment, for diagnostics. */
    public long callsInside() {
        return gracePeriod.readers();
    }

    /** The exact value size of this subsystem's maps. */
    public int valueSize() {
        return StructOpsLayout.valueSize(slots.size());
    }

    /** A spec for a map of this subsystem: key 4, max_entries 1, the value size and the value's named fields. */
    public MapSpec.Builder mapSpec(String mapName) {
        MapSpec.Builder b = MapSpec.builder(MapType.STRUCT_OPS).name(mapName).keySize(4).valueSize(valueSize())
                .maxEntries(1).structOps(name)
                .valueField("refcnt", FieldType.U32, StructOpsLayout.REFCNT, 4)
                .valueField("state", FieldType.U32, StructOpsLayout.STATE, 4);
        for (int i = 0; i < slots.size(); i++) {
            b.valueField(slots.get(i).name, FieldType.U32, StructOpsLayout.progIdOffset(i), StructOpsLayout.PROG_ID_SIZE);
        }
        return b;
    }

    // ---- registration, from StructOpsMap --------------------------------------------------------------------

    /** The kernel's {@code st_ops->validate}: 0, or -EINVAL when a mandatory slot is empty. */
    int validate(Object[] callbacks) {
        for (int i = 0; i < slots.size(); i++) {
            if (callbacks[i] == null && slots.get(i).mandatory) {
                return -Errno.EINVAL;
            }
        }
        return 0;
    }

    /**
     * The kernel's {@code st_ops->reg}: 0; -EINVAL when a mandatory slot is empty or the struct cannot be
     * assembled; -EBUSY when another map is registered.
     */
    synchronized int reg(StructOpsMap map, Object[] callbacks) {
        if (owner != null) {
            return -Errno.EBUSY;
        }
        S s = assemble(callbacks);
        if (s == null) {
            return -Errno.EINVAL;
        }
        owner = map;
        // Volatile store: publishes the struct's final fields to callers, and orders it before later counter reads.
        current = s;
        return 0;
    }

    /**
     * The kernel's {@code st_ops->update} behind {@code bpf_link_update()}: swaps {@code old}'s callbacks for
     * {@code next}'s with no moment on the defaults in between, and returns once no call can still be inside
     * {@code old}'s. -EINVAL when {@code old} is not the registered map or {@code next}'s set is incomplete.
     */
    synchronized int update(StructOpsMap old, StructOpsMap next, Object[] callbacks) {
        if (owner != old) {
            return -Errno.EINVAL;
        }
        S s = assemble(callbacks);
        if (s == null) {
            return -Errno.EINVAL;
        }
        owner = next;
        // Volatile store, not just release: GracePeriod's argument needs it totally ordered with the counter reads.
        current = s;
        gracePeriod.synchronize();
        return 0;
    }

    /** The struct for one callback per slot (defaults in empty optional slots), or null when it cannot be built. */
    private S assemble(Object[] callbacks) {
        if (validate(callbacks) != 0) {
            return null;
        }
        Object[] c = new Object[slots.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = callbacks[i] != null ? callbacks[i] : slots.get(i).defaultImpl;
        }
        try {
            return assembler.assemble(c);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The kernel's {@code st_ops->unreg}: callers fall back to the defaults; returns once no call can still be
     * inside {@code map}'s callbacks. False when {@code map} was not the registered one.
     */
    synchronized boolean unreg(StructOpsMap map) {
        if (owner != map) {
            return false;
        }
        // Volatile store, not just release: GracePeriod's argument needs it totally ordered with the counter reads.
        current = defaults;
        owner = null;
        gracePeriod.synchronize();
        return true;
    }

    @Override
    public String toString() {
        return "struct_ops " + name + " " + slots;
    }

    /** Builds and registers a subsystem; {@link #register()} checks every slot. */
    public static final class Builder<S> {
        private final String name;
        private final Assembler<S> assembler;
        private final List<Slot> slots = new ArrayList<>();

        private Builder(String name, Assembler<S> assembler) {
            this.name = name;
            this.assembler = Objects.requireNonNull(assembler, "assembler");
        }

        /** A slot every registration must fill. */
        public <F> Builder<S> mandatory(String slotName, Class<F> type, F defaultImpl) {
            return slot(slotName, type, true, defaultImpl);
        }

        /** A slot a registration may leave empty; callers then run {@code defaultImpl}. */
        public <F> Builder<S> optional(String slotName, Class<F> type, F defaultImpl) {
            return slot(slotName, type, false, defaultImpl);
        }

        public Builder<S> slot(String slotName, Class<?> type, boolean mandatory, Object defaultImpl) {
            String what = "struct_ops " + name + ": slot '" + slotName + "'";
            if (slotName == null || !SLOT_NAME.matcher(slotName).matches()) {
                throw new SondeException(Errno.EINVAL, what + " has an invalid name; use 1 to "
                        + StructOpsLayout.SLOT_NAME_MAX + " letters, digits or '_'");
            }
            for (Slot s : slots) {
                if (s.name.equals(slotName)) {
                    throw new SondeException(Errno.EEXIST, what + " is declared twice; give each slot its own name");
                }
            }
            if (!isFunctionalInterface(type)) {
                throw new SondeException(Errno.EINVAL, what + ": " + type + " is not a functional interface; declare "
                        + "an interface with exactly one abstract method for the slot");
            }
            if (!type.isInstance(defaultImpl)) {
                throw new SondeException(Errno.EINVAL, what + " needs a default implementing " + type.getName()
                        + ", got " + defaultImpl + "; pass what callers run when nothing is registered");
            }
            if (slots.size() == StructOpsLayout.MAX_SLOTS) {
                throw new SondeException(Errno.E2BIG, what + ": a subsystem has at most " + StructOpsLayout.MAX_SLOTS
                        + " slots; split it in two");
            }
            slots.add(new Slot(slotName, type, mandatory, defaultImpl));
            return this;
        }

        /** Registers the subsystem under its name (once per JVM: a second one of that name is -EEXIST). */
        public StructOpsType<S> register() {
            if (name == null || !NAME.matcher(name).matches()) {
                throw new SondeException(Errno.EINVAL, "struct_ops name '" + name + "' is invalid; use 1 to "
                        + StructOpsLayout.NAME_MAX + " letters, digits or '_'");
            }
            if (slots.isEmpty()) {
                throw new SondeException(Errno.EINVAL, "struct_ops " + name + " has no slots; declare at least one");
            }
            if (TYPES.containsKey(name)) {
                throw taken();
            }
            StructOpsType<S> t;
            try {
                t = new StructOpsType<>(name, slots, assembler);
            } catch (RuntimeException e) {
                throw new SondeException(Errno.EINVAL, "struct_ops " + name + ": the assembler failed on the defaults ("
                        + e + "); make it take one callback per slot, in slot order", e);
            }
            if (TYPES.putIfAbsent(name, t) != null) {
                throw taken();
            }
            return t;
        }

        private SondeException taken() {
            return new SondeException(Errno.EEXIST, "a struct_ops subsystem named '" + name + "' is already "
                    + "registered; use StructOpsType.byName(\"" + name + "\") or pick another name");
        }

        private static boolean isFunctionalInterface(Class<?> type) {
            if (type == null || !type.isInterface()) {
                return false;
            }
            int abstractMethods = 0;
            for (Method m : type.getMethods()) {
                if (Modifier.isAbstract(m.getModifiers()) && !isObjectMethod(m)) {
                    abstractMethods++;
                }
            }
            return abstractMethods == 1;
        }

        private static boolean isObjectMethod(Method m) {
            try {
                Object.class.getMethod(m.getName(), m.getParameterTypes());
                return true;
            } catch (NoSuchMethodException e) {
                return false;
            }
        }
    }
}
