package dev.sonde.agent;

import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.isMethod;
import static net.bytebuddy.matcher.ElementMatchers.isNative;
import static net.bytebuddy.matcher.ElementMatchers.isSynthetic;
import static net.bytebuddy.matcher.ElementMatchers.not;

import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.load.Binding;
import java.lang.instrument.Instrumentation;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.agent.builder.ResettableClassFileTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.method.ParameterDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.Nexus;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.utility.JavaModule;

/**
 * The one class-file transformer: inlines {@link SondeAdvice} into every method some binding targets, registering
 * the method's hook and attaching the bindings' programs as it goes. Matchers read the current bindings, so a
 * replaced probe file applies to classes loaded later without reinstalling anything.
 */
final class Instrumenter {
    /** Concrete, non-synthetic methods: constructors and type initializers are not probed. */
    private static final ElementMatcher.Junction<MethodDescription> CANDIDATE =
            isMethod().and(not(isAbstract())).and(not(isNative())).and(not(isBridge())).and(not(isSynthetic()));

    /** Sonde itself and the JDK's own plumbing, which probes would recurse into. */
    private static final String[] IGNORED = {"dev.sonde.agent.", "dev.sonde.bridge.", "dev.sonde.maps.",
        "dev.sonde.probes.", "dev.sonde.shaded.", "net.bytebuddy.", "java.lang.invoke.", "jdk.internal.", "sun."};

    private final Instrumentation inst;
    private final HookTable hooks;
    private final Advice advice;
    private volatile List<Binding> bindings = List.of();
    private ResettableClassFileTransformer transformer;
    final AtomicLong transformedTypes = new AtomicLong();
    final AtomicLong transformErrors = new AtomicLong();
    private volatile String lastTransformError;

    Instrumenter(Instrumentation inst, HookTable hooks) {
        this.inst = inst;
        this.hooks = hooks;
        this.advice = AdviceMappings.advice(m -> hooks.idOf(m.getDeclaringType().asErasure().getName(),
                m.getInternalName(), m.getDescriptor()));
    }

    /** Installs the transformer and retransforms the loaded classes the bindings target. */
    synchronized void install(List<Binding> initial) {
        bindings = List.copyOf(initial);
        // AgentBuilder.Default() builds a Nexus accessor even though disableClassFormatChanges() drops it, and that
        // reaches for sun.misc.Unsafe: on JDK 24+ four WARNING lines on the application's stderr (JEP 498). Advice
        // inlined into retransformed methods never needs the Nexus. The shaded ByteBuddy reads the relocated name
        // (the jar's relocation rewrites this constant too), so the application's own ByteBuddy is left alone.
        if (System.getProperty(Nexus.PROPERTY) == null) {
            System.setProperty(Nexus.PROPERTY, "true");
        }
        transformer = new AgentBuilder.Default()
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .with(new Listener())
                .ignore(new ElementMatcher.Junction.AbstractBase<TypeDescription>() {
                    @Override
                    public boolean matches(TypeDescription t) {
                        return ignored(t.getName()) || t.isSynthetic();
                    }
                })
                .type(this::targeted)
                .transform(this::transform)
                .installOn(inst);
    }

    List<Binding> bindings() {
        return bindings;
    }

    String lastTransformError() {
        return lastTransformError;
    }

    private boolean targeted(TypeDescription type) {
        if (type.isInterface() || type.isAnnotation()) {
            return false;
        }
        Set<String> supers = null;
        for (Binding b : bindings) {
            if (b.type().subtypes() && supers == null) {
                supers = superTypes(type);
            }
            if (typeMatches(b, type.getName(), supers)) {
                return true;
            }
        }
        return false;
    }

    /** By name, or for {@code Type+} by the class's super types ({@code supers} may be null for a plain pattern). */
    static boolean typeMatches(Binding b, String className, Set<String> supers) {
        return b.type().subtypes() ? supers.contains(b.type().baseName()) : b.type().matchesName(className);
    }

    /** The names of {@code type}, its super classes and all interfaces; what the pool cannot resolve is left out. */
    static Set<String> superTypes(TypeDescription type) {
        Set<String> names = new HashSet<>();
        ArrayDeque<TypeDescription> todo = new ArrayDeque<>();
        todo.add(type);
        while (!todo.isEmpty()) {
            TypeDescription t = todo.poll();
            if (!names.add(t.getName())) {
                continue;
            }
            try {
                if (t.getSuperClass() != null) {
                    todo.add(t.getSuperClass().asErasure());
                }
                for (TypeDescription.Generic i : t.getInterfaces()) {
                    todo.add(i.asErasure());
                }
            } catch (RuntimeException unresolvable) {
                // a super type missing from the class path: it cannot be what a probe names
            }
        }
        return names;
    }

    static Set<String> superTypes(Class<?> c) {
        Set<String> names = new HashSet<>();
        ArrayDeque<Class<?>> todo = new ArrayDeque<>();
        todo.add(c);
        while (!todo.isEmpty()) {
            Class<?> t = todo.poll();
            if (names.add(t.getName())) {
                if (t.getSuperclass() != null) {
                    todo.add(t.getSuperclass());
                }
                todo.addAll(Arrays.asList(t.getInterfaces()));
            }
        }
        return names;
    }

    private List<Binding> bindingsFor(String className, Set<String> supers, String method, String descriptor,
            List<Binding> from) {
        List<Binding> l = new ArrayList<>();
        for (Binding b : from) {
            if (typeMatches(b, className, supers) && b.matchesMethod(method, descriptor)) {
                l.add(b);
            }
        }
        return l;
    }

    private DynamicType.Builder<?> transform(DynamicType.Builder<?> builder, TypeDescription type, ClassLoader loader,
            JavaModule module, java.security.ProtectionDomain pd) {
        Set<String> supers = superTypes(type);
        List<Binding> forType = new ArrayList<>();
        for (Binding b : bindings) {
            if (typeMatches(b, type.getName(), supers)) {
                forType.add(b);
            }
        }
        ElementMatcher.Junction<MethodDescription> targets = CANDIDATE.and(m -> {
            for (Binding b : forType) {
                if (b.matchesMethod(m.getInternalName(), m.getDescriptor())) {
                    return true;
                }
            }
            return false;
        });
        for (MethodDescription.InDefinedShape m : type.getDeclaredMethods().filter(targets)) {
            TargetMethod tm = hooks.register(type.getName(), supers, m.getInternalName(), m.getDescriptor(), params(m),
                    m.getReturnType().asErasure().getName());
            hooks.attach(tm, bindingsFor(type.getName(), supers, m.getInternalName(), m.getDescriptor(), forType));
        }
        return builder.visit(advice.on(targets));
    }

    /**
     * Swaps in a new set of bindings: already instrumented methods get their new programs by a slot write; loaded
     * classes with a newly targeted method are retransformed, and only those.
     */
    synchronized int replace(List<Binding> next) {
        List<Binding> copy = List.copyOf(next);
        bindings = copy;
        hooks.rebind(m -> bindingsFor(m.className(), hooks.superTypes(m.className()), m.methodName(), m.descriptor(),
                copy));
        if (copy.isEmpty()) {
            return 0;
        }
        List<Class<?>> retransform = new ArrayList<>();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.isInterface() || c.isArray() || c.isPrimitive() || !inst.isModifiableClass(c) || ignored(c.getName())) {
                continue;
            }
            try {
                if (newlyTargeted(c, copy)) {
                    retransform.add(c);
                }
            } catch (Throwable t) {
                // a class whose methods cannot be listed (missing dependency): not instrumentable anyway
            }
        }
        if (!retransform.isEmpty()) {
            try {
                inst.retransformClasses(retransform.toArray(new Class<?>[0]));
            } catch (Exception e) {
                transformErrors.incrementAndGet();
                lastTransformError = "retransform: " + e;
                System.err.println("sonde: cannot retransform " + retransform.size() + " classes: " + e
                        + "; the new probes apply to classes loaded from now on");
            }
        }
        return retransform.size();
    }

    private boolean newlyTargeted(Class<?> c, List<Binding> next) {
        Set<String> supers = null;
        for (Binding b : next) {
            if (b.type().subtypes() && supers == null) {
                supers = superTypes(c);
            }
            if (!typeMatches(b, c.getName(), supers)) {
                continue;
            }
            for (java.lang.reflect.Method m : c.getDeclaredMethods()) {
                int mod = m.getModifiers();
                if (m.isSynthetic() || m.isBridge() || java.lang.reflect.Modifier.isAbstract(mod)
                        || java.lang.reflect.Modifier.isNative(mod)) {
                    continue;
                }
                String desc = new MethodDescription.ForLoadedMethod(m).getDescriptor();
                if (b.matchesMethod(m.getName(), desc) && hooks.idOf(c.getName(), m.getName(), desc) == 0) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean ignored(String name) {
        for (String p : IGNORED) {
            if (name.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    private static String[] params(MethodDescription m) {
        List<String> l = new ArrayList<>();
        for (ParameterDescription p : m.getParameters()) {
            l.add(p.getType().asErasure().getName());
        }
        return l.toArray(new String[0]);
    }

    /** Takes the transformer out and retransforms: the original bytecode is back (detach). */
    synchronized void reset() {
        if (transformer != null) {
            transformer.reset(inst, AgentBuilder.RedefinitionStrategy.RETRANSFORMATION);
            transformer = null;
        }
    }

    private final class Listener extends AgentBuilder.Listener.Adapter {
        @Override
        public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module, boolean loaded,
                DynamicType dynamicType) {
            transformedTypes.incrementAndGet();
        }

        @Override
        public void onError(String typeName, ClassLoader loader, JavaModule module, boolean loaded, Throwable t) {
            transformErrors.incrementAndGet();
            lastTransformError = typeName + ": " + t;
            System.err.println("sonde: cannot instrument " + typeName + ": " + t
                    + "; the class runs unprobed (narrow the probe's class pattern to skip it)");
        }
    }
}
