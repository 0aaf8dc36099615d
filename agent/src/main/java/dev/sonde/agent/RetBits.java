package dev.sonde.agent;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Exit-advice parameter bound to the return value as raw 64 bits, as {@link ArgBits} does for arguments. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
@interface RetBits {
}
