package dev.sonde.agent;

import java.util.function.ToIntFunction;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.Advice.OffsetMapping;
import net.bytebuddy.description.annotation.AnnotationDescription;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.method.ParameterDescription;
import net.bytebuddy.description.type.TypeDefinition;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.bytecode.StackManipulation;
import net.bytebuddy.implementation.bytecode.assign.primitive.PrimitiveWideningDelegate;
import net.bytebuddy.implementation.bytecode.constant.IntegerConstant;
import net.bytebuddy.implementation.bytecode.constant.LongConstant;
import net.bytebuddy.implementation.bytecode.member.MethodInvocation;
import net.bytebuddy.implementation.bytecode.member.MethodVariableAccess;

/** The custom advice bindings: {@link HookId}, {@link ArgBits}, {@link RetBits}. */
final class AdviceMappings {
    private static final TypeDescription LONG = TypeDescription.ForLoadedType.of(long.class);

    private AdviceMappings() {
    }

    /** The advice with the hook id of each method given by {@code hookIds}. */
    static Advice advice(ToIntFunction<MethodDescription> hookIds) {
        return Advice.withCustomMapping()
                .bind(HookId.class, (OffsetMapping) (type, method, assigner, args, sort) ->
                        new OffsetMapping.Target.ForStackManipulation(IntegerConstant.forValue(hookIds.applyAsInt(method))))
                .bind(new ArgBitsFactory())
                .bind(RetBits.class, (OffsetMapping) (type, method, assigner, args, sort) ->
                        new OffsetMapping.Target.ForStackManipulation(method.getReturnType().represents(void.class)
                                ? LongConstant.ZERO
                                : bits(method.getReturnType().asErasure(), args.returned())))
                .to(SondeAdvice.class);
    }

    /** Loads the local at {@code offset} of type {@code t} as a long's 64 bits. */
    static StackManipulation bits(TypeDefinition t, int offset) {
        if (!t.isPrimitive()) {
            return LongConstant.ZERO;
        }
        StackManipulation load = MethodVariableAccess.of(t).loadFrom(offset);
        if (t.represents(long.class)) {
            return load;
        }
        if (t.represents(double.class)) {
            return new StackManipulation.Compound(load, MethodInvocation.invoke(method(Double.class,
                    "doubleToRawLongBits", double.class)));
        }
        if (t.represents(float.class)) {
            return new StackManipulation.Compound(load, MethodInvocation.invoke(method(Float.class,
                    "floatToRawIntBits", float.class)), PrimitiveWideningDelegate.INTEGER.widenTo(LONG));
        }
        // boolean, byte, short, char and int all live as an int on the stack: one i2l.
        return new StackManipulation.Compound(load, PrimitiveWideningDelegate.INTEGER.widenTo(LONG));
    }

    private static MethodDescription.InDefinedShape method(Class<?> c, String name, Class<?> param) {
        try {
            return new MethodDescription.ForLoadedMethod(c.getMethod(name, param));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class ArgBitsFactory implements OffsetMapping.Factory<ArgBits> {
        @Override
        public Class<ArgBits> getAnnotationType() {
            return ArgBits.class;
        }

        @Override
        public OffsetMapping make(ParameterDescription.InDefinedShape target,
                AnnotationDescription.Loadable<ArgBits> annotation, AdviceType adviceType) {
            int index = annotation.load().value();
            return (type, method, assigner, args, sort) -> {
                if (index >= method.getParameters().size()) {
                    return new OffsetMapping.Target.ForStackManipulation(LongConstant.ZERO);
                }
                ParameterDescription p = method.getParameters().get(index);
                return new OffsetMapping.Target.ForStackManipulation(bits(p.getType().asErasure(),
                        args.argument(p.getOffset())));
            };
        }
    }
}
