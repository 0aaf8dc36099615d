package dev.sonde.export;

import static dev.sonde.probes.SpanRecordLayout.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes span records as a {@code span} program does, for tests. */
final class SpanRecords {
    private SpanRecords() {
    }

    /** args: Long, Double or Boolean. */
    static ByteBuffer record(long threadId, long start, long duration, long callId, long parentCallId, long rootCallId,
            String cls, String method, String thread, String excType, String excMessage, Object... args) {
        byte[][] s = {bytes(cls), bytes(method), bytes(thread), bytes(excType), bytes(excMessage)};
        ByteBuffer b = ByteBuffer.allocate(size(args.length, s[0].length, s[1].length, s[2].length, s[3].length,
                s[4].length)).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort(VERSION_OFFSET, (short) VERSION);
        b.putShort(FLAGS_OFFSET, (short) (excType.isEmpty() ? 0 : FLAG_EXCEPTION));
        b.putShort(NARGS_OFFSET, (short) args.length);
        b.putLong(THREAD_ID_OFFSET, threadId);
        b.putLong(START_OFFSET, start);
        b.putLong(DURATION_OFFSET, duration);
        b.putLong(CALL_ID_OFFSET, callId);
        b.putLong(PARENT_CALL_ID_OFFSET, parentCallId);
        b.putLong(ROOT_CALL_ID_OFFSET, rootCallId);
        b.putInt(METHOD_ID_OFFSET, 1);
        int p = HEADER_SIZE;
        for (Object a : args) {
            if (a instanceof Double) {
                b.putInt(p, ARG_DOUBLE).putLong(p + 8, Double.doubleToLongBits((Double) a));
            } else if (a instanceof Boolean) {
                b.putInt(p, ARG_BOOLEAN).putLong(p + 8, (Boolean) a ? 1 : 0);
            } else {
                b.putInt(p, ARG_LONG).putLong(p + 8, ((Number) a).longValue());
            }
            p += ARG_SIZE;
        }
        b.position(p);
        for (byte[] x : s) {
            b.putShort((short) x.length).put(x);
        }
        b.flip();
        return b;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
