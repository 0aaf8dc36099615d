package dev.sonde.probes;

import dev.sonde.maps.MapType;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A map a Java program uses, as a BPF object's map section: the verifier refuses to load the program unless a map
 * of this name exists with this type and sizes. {@link ProbeContext#map(int)} indexes the declarations in order.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Repeatable(UsesMap.List.class)
public @interface UsesMap {
    String name();

    MapType type();

    /** 0: any key size. */
    int keySize() default 0;

    /** The least value size the program needs; 0: any. */
    int valueSize() default 0;

    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface List {
        UsesMap[] value();
    }
}
