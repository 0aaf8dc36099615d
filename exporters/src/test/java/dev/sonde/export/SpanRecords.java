package dev.sonde.export;

import static dev.sonde.probes.builtin.SpanLayout.*;

import dev.sonde.probes.TargetMethod;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Writes span records as the {@code span} program does, and names their methods and exceptions, for tests. */
final class SpanRecords {
    private static final Map<String, TargetMethod> BY_KEY = new ConcurrentHashMap<>();
    private static final Map<Integer, TargetMethod> BY_ID = new ConcurrentHashMap<>();
    private static final Map<Long, String> EXCEPTIONS = new ConcurrentHashMap<>();
    private static final AtomicInteger NEXT_ID = new AtomicInteger(1);

    /** The names of every record written here, as the agent's hook table names real ones. */
    static final SpanNames NAMES = new SpanNames() {
        @Override
        public TargetMethod method(int methodId) {
            return BY_ID.get(methodId);
        }

        @Override
        public String exceptionName(long hash) {
            return EXCEPTIONS.get(hash);
        }
    };

    private SpanRecords() {
    }

    /** args: Long, Double or Boolean; an empty {@code excType} means a normal return. */
    static ByteBuffer record(long threadId, long start, long duration, long callId, long parentCallId, long rootCallId,
            String cls, String method, String excType, Object... args) {
        String[] types = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            types[i] = args[i] instanceof Double ? "double" : args[i] instanceof Boolean ? "boolean" : "long";
        }
        TargetMethod m = BY_KEY.computeIfAbsent(cls + "." + method + String.join(",", types), k -> {
            TargetMethod t = new TargetMethod(NEXT_ID.getAndIncrement(), cls, method, "()V", types, "void");
            BY_ID.put(t.hookId(), t);
            return t;
        });
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(METHOD_OFFSET, m.hookId());
        b.putLong(THREAD_OFFSET, threadId);
        b.putLong(START_OFFSET, start);
        b.putLong(DURATION_OFFSET, duration);
        if (!excType.isEmpty()) {
            long hash = excType.hashCode() * 0x9E3779B97F4A7C15L;
            EXCEPTIONS.put(hash, excType);
            b.putLong(VALUE_OFFSET, hash);
            b.putInt(FLAGS_OFFSET, THREW);
        }
        b.putInt(NARGS_OFFSET, args.length);
        b.putLong(CALL_ID_OFFSET, callId);
        b.putLong(PARENT_CALL_ID_OFFSET, parentCallId);
        b.putLong(ROOT_CALL_ID_OFFSET, rootCallId);
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            long v = a instanceof Double ? Double.doubleToLongBits((Double) a)
                    : a instanceof Boolean ? ((Boolean) a ? 1 : 0) : ((Number) a).longValue();
            b.putLong(ARGS_OFFSET + 8 * i, v);
        }
        return b;
    }
}
