package dev.sonde.agent;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Advice parameter bound to argument {@link #value()} as raw 64 bits, without boxing: integral types widened,
 * floating point as IEEE bits, references and missing arguments 0.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
@interface ArgBits {
    int value();
}
