package dev.sonde.agent;

import dev.sonde.bridge.Hooks;
import dev.sonde.probes.AttachPoint;
import net.bytebuddy.asm.Advice;

/**
 * The advice inlined into every probed method: a call to the bridge with a constant hook id and the first six
 * arguments as primitives. It allocates nothing; {@code suppress} keeps even a missing bridge away from the
 * application.
 */
final class SondeAdvice {
    private SondeAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static long enter(@HookId int hook, @ArgBits(0) long a0, @ArgBits(1) long a1, @ArgBits(2) long a2,
            @ArgBits(3) long a3, @ArgBits(4) long a4, @ArgBits(5) long a5) {
        return Hooks.enter(hook, a0, a1, a2, a3, a4, a5);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void exit(@HookId int hook, @Advice.Enter long start, @RetBits long ret, @Advice.Thrown Throwable thrown,
            @ArgBits(0) long a0, @ArgBits(1) long a1, @ArgBits(2) long a2, @ArgBits(3) long a3, @ArgBits(4) long a4,
            @ArgBits(5) long a5) {
        if (start != AttachPoint.NO_EXIT) {
            Hooks.exit(hook, start, ret, thrown, a0, a1, a2, a3, a4, a5);
        }
    }
}
