package dev.sonde.agent;

import static net.bytebuddy.matcher.ElementMatchers.hasSuperType;
import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.isMethod;
import static net.bytebuddy.matcher.ElementMatchers.isNative;
import static net.bytebuddy.matcher.ElementMatchers.isSynthetic;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;

import dev.sonde.probes.TargetMethod;
import dev.sonde.probes.load.Binding;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.agent.builder.ResettableClassFileTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.method.ParameterDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
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
        transformer = new AgentBuilder.Default()
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .with(new Listener())
                .ignore(nameStartsWith("dev.sonde.agent.").or(nameStartsWith("dev.sonde.bridge."))
                        .or(nameStartsWith("dev.sonde.maps.")).or(nameStartsWith("dev.sonde.probes."))
                        .or(nameStartsWith("dev.sonde.shaded.")).or(nameStartsWith("net.bytebuddy."))
                        .or(nameStartsWith("java.lang.invoke.")).or(nameStartsWith("jdk.internal."))
                        .or(nameStartsWith("sun.")).or(isSynthetic()))
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
        for (Binding b : bindings) {
            if (typeMatches(b, type)) {
                return true;
            }
        }
        return false;
    }

    static boolean typeMatches(Binding b, TypeDescription type) {
        if (!b.type().subtypes()) {
            return b.type().matchesName(type.getName());
        }
        try {
            return hasSuperType(named(b.type().baseName())).matches(type);
        } catch (RuntimeException unresolvable) {
            return false; // a super type the pool cannot see: not ours to instrument
        }
    }

    private DynamicType.Builder<?> transform(DynamicType.Builder<?> builder, TypeDescription type, ClassLoader loader,
            JavaModule module, java.security.ProtectionDomain pd) {
        List<Binding> forType = new ArrayList<>();
        for (Binding b : bindings) {
            if (typeMatches(b, type)) {
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
            TargetMethod tm = hooks.register(type.getName(), m.getInternalName(), m.getDescriptor(), params(m),
                    m.getReturnType().asErasure().getName());
            List<Binding> matched = new ArrayList<>();
            for (Binding b : forType) {
                if (b.matchesMethod(m.getInternalName(), m.getDescriptor())) {
                    matched.add(b);
                }
            }
            hooks.attach(tm, matched);
        }
        return builder.visit(advice.on(targets));
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
