package dev.sonde.agent;

import dev.sonde.probes.AppTraceContext;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;

/**
 * Watches class definitions for the application's OpenTelemetry API (its own {@code io.opentelemetry.api}, or the
 * OpenTelemetry Java agent's relocated copy on the bootstrap path) and reports the defining loader to
 * {@link AppTraceContext}, so span programs can join the application's traces. It never changes a class: two string
 * comparisons per class definition, and it reads the classes already loaded once when installed (a live attach, or
 * the Java agent started first).
 */
final class AppApiWatch implements ClassFileTransformer {
    private AppApiWatch() {
    }

    static void install(Instrumentation inst) {
        inst.addTransformer(new AppApiWatch(), false);
        for (Class<?> c : inst.getAllLoadedClasses()) {
            String n = c.getName();
            if (n.endsWith(".api.trace.Span")) {
                AppTraceContext.offer(n.replace('.', '/'), c.getClassLoader());
            }
        }
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> redefining, ProtectionDomain domain,
            byte[] classfile) {
        if (className != null && className.endsWith("/api/trace/Span")) {
            AppTraceContext.offer(className, loader);
        }
        return null;
    }
}
