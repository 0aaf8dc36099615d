package dev.sonde.probes.load;

import dev.sonde.maps.BpfMap;
import dev.sonde.maps.Errno;
import dev.sonde.maps.SondeException;
import dev.sonde.probes.JavaProgram;
import dev.sonde.probes.MapCheck;
import dev.sonde.probes.OnEntry;
import dev.sonde.probes.OnException;
import dev.sonde.probes.OnExit;
import dev.sonde.probes.ProbeContext;
import dev.sonde.probes.ProbeFunction;
import dev.sonde.probes.ProbeKind;
import dev.sonde.probes.UsesMap;
import java.lang.invoke.CallSite;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Function;

/** Turns a program class's annotated static methods into verified {@link JavaProgram}s with their targets. */
final class JavaPrograms {
    private JavaPrograms() {
    }

    /**
     * @param maps resolves a map name to a live map, or throws naming the missing map
     * @param override class/method/descriptor from the probe file that replace the annotations' (each may be null)
     */
    static List<Binding> load(Class<?> c, Function<String, BpfMap> maps, ClassPattern typeOverride,
            MethodPattern methodOverride, Descriptor descOverride) {
        UsesMap[] uses = c.getAnnotationsByType(UsesMap.class);
        BpfMap[] resolved = new BpfMap[uses.length];
        for (int i = 0; i < uses.length; i++) {
            UsesMap u = uses[i];
            resolved[i] = maps.apply(u.name());
            MapCheck.require(c.getName(), "declared", resolved[i], EnumSet.of(u.type()), u.keySize(), u.valueSize());
        }
        List<Binding> out = new ArrayList<>();
        try {
            for (Method m : c.getDeclaredMethods()) {
                OnEntry en = m.getAnnotation(OnEntry.class);
                OnExit ex = m.getAnnotation(OnExit.class);
                OnException th = m.getAnnotation(OnException.class);
                int n = (en != null ? 1 : 0) + (ex != null ? 1 : 0) + (th != null ? 1 : 0);
                if (n == 0) {
                    continue;
                }
                String name = c.getSimpleName() + "." + m.getName();
                if (n > 1) {
                    throw refuse(name, "it carries more than one of @OnEntry, @OnExit, @OnException; split it into one "
                            + "method per probe");
                }
                checkSignature(name, m);
                ProbeKind kind = en != null ? ProbeKind.ENTRY : ex != null ? ProbeKind.EXIT : ProbeKind.EXCEPTION;
                String type = en != null ? en.type() : ex != null ? ex.type() : th.type();
                String method = en != null ? en.method() : ex != null ? ex.method() : th.method();
                String desc = en != null ? en.descriptor() : ex != null ? ex.descriptor() : th.descriptor();
                String[] args = en != null ? en.args() : ex != null ? ex.args() : th.args();
                ClassPattern cp = typeOverride != null ? typeOverride : ClassPattern.of(type);
                MethodPattern mp = methodOverride != null ? methodOverride : MethodPattern.of(method);
                Descriptor d = descOverride != null ? descOverride : desc.isEmpty() ? null : Descriptor.of(desc);
                JavaProgram p = new JavaProgram(name, kind, resolved, function(c, m, name), args);
                out.add(new Binding(cp, mp, d, p));
            }
        } catch (RuntimeException e) {
            for (Binding b : out) {
                b.program().close();
            }
            throw e;
        }
        if (out.isEmpty()) {
            throw new SondeException(Errno.EINVAL, "program class " + c.getName() + " has no @OnEntry, @OnExit or "
                    + "@OnException method; annotate a public static void m(ProbeContext) method");
        }
        return out;
    }

    private static void checkSignature(String name, Method m) {
        int mod = m.getModifiers();
        if (!Modifier.isStatic(mod) || !Modifier.isPublic(mod) || m.getReturnType() != void.class
                || m.getParameterCount() != 1 || m.getParameterTypes()[0] != ProbeContext.class) {
            throw refuse(name, "a probe method must be declared public static void " + m.getName()
                    + "(ProbeContext ctx); fix its signature");
        }
    }

    /**
     * A {@link ProbeFunction} calling {@code m}: a lambda the JIT inlines when the program class's module grants
     * full access (same class loader), else a method handle call. Either way no reflection or allocation per call.
     */
    private static ProbeFunction function(Class<?> c, Method m, String name) {
        MethodHandle target;
        MethodHandles.Lookup lookup;
        try {
            lookup = MethodHandles.privateLookupIn(c, MethodHandles.lookup());
            target = lookup.unreflect(m);
        } catch (IllegalAccessException | RuntimeException e) {
            throw new SondeException(Errno.EPERM, "program '" + name + "' refused: cannot bind " + m + " (" + e
                    + "); make the class and method public", e);
        }
        if (lookup.hasFullPrivilegeAccess()) {
            try {
                MethodType sig = MethodType.methodType(void.class, ProbeContext.class);
                CallSite site = LambdaMetafactory.metafactory(lookup, "run",
                        MethodType.methodType(ProbeFunction.class), sig, target, sig);
                return (ProbeFunction) site.getTarget().invoke();
            } catch (Throwable t) {
                // fall back to the method handle below
            }
        }
        return new HandleFunction(target);
    }

    /**
     * The agent's class loader is another module than the program's, where LambdaMetafactory refuses to link:
     * the probe method is then called through its method handle.
     */
    private static final class HandleFunction implements ProbeFunction {
        private final MethodHandle target;

        HandleFunction(MethodHandle target) {
            this.target = target;
        }

        @Override
        public void run(ProbeContext ctx) {
            try {
                target.invokeExact(ctx);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    private static SondeException refuse(String name, String problem) {
        return new SondeException(Errno.EINVAL, "program '" + name + "' refused: " + problem);
    }
}
