package dev.sonde.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.Collections;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The agent's own class loader (the OpenTelemetry agent's isolation): the agent, its probe-file loader and the
 * relocated libraries live in the agent jar under {@code inst/}, where the system class loader (which has the
 * jar on its path) cannot see them; this loader serves them. Its parent is the platform loader, so the classes
 * instrumented code shares (bridge, maps, program API) come from the bootstrap path where {@link BootstrapJar}
 * put them. Pure JDK: it runs before anything else of the agent is loaded.
 */
final class AgentLoader extends ClassLoader {
    static final String PREFIX = "inst/";

    static {
        registerAsParallelCapable();
    }

    private final JarFile jar;
    private final String jarUrl;
    private final ProtectionDomain domain;

    private AgentLoader(Path jarPath, ClassLoader parent) throws IOException {
        super("sonde-agent", parent);
        this.jar = new JarFile(jarPath.toFile());
        URL url = jarPath.toUri().toURL();
        this.jarUrl = "jar:" + url + "!/";
        this.domain = new ProtectionDomain(new CodeSource(url, (Certificate[]) null), null, this, null);
    }

    /**
     * The loader over the agent jar, or null when the agent does not run from a jar laid out with {@code inst/}
     * (tests, IDE: then the classes are on the class path and the caller's loader is used).
     */
    static ClassLoader create(Path agentJar) throws IOException {
        if (agentJar == null) {
            return null;
        }
        try (JarFile j = new JarFile(agentJar.toFile())) {
            if (j.getEntry(PREFIX + "dev/sonde/agent/AgentRuntime.class") == null) {
                return null;
            }
        }
        return new AgentLoader(agentJar, ClassLoader.getPlatformClassLoader());
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        JarEntry e = jar.getJarEntry(PREFIX + name.replace('.', '/') + ".class");
        if (e == null) {
            throw new ClassNotFoundException(name);
        }
        try (InputStream in = jar.getInputStream(e)) {
            byte[] b = in.readAllBytes();
            definePackageOf(name);
            return defineClass(name, b, 0, b.length, domain);
        } catch (IOException x) {
            throw new ClassNotFoundException(name + ": cannot read it from the agent jar (" + x + ")", x);
        }
    }

    private void definePackageOf(String className) {
        int dot = className.lastIndexOf('.');
        if (dot > 0) {
            String pkg = className.substring(0, dot);
            if (getDefinedPackage(pkg) == null) {
                try {
                    definePackage(pkg, null, null, null, null, null, null, null);
                } catch (IllegalArgumentException raced) {
                    // another thread defined it first
                }
            }
        }
    }

    @Override
    protected URL findResource(String name) {
        if (jar.getEntry(PREFIX + name) == null) {
            return null;
        }
        try {
            return new URL(jarUrl + PREFIX + name);
        } catch (MalformedURLException e) {
            return null;
        }
    }

    @Override
    protected Enumeration<URL> findResources(String name) {
        URL u = findResource(name);
        return u == null ? Collections.emptyEnumeration() : Collections.enumeration(Collections.singletonList(u));
    }
}
