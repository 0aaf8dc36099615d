package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class HotMemoryTest {
    @Test
    void rawOnlyWhereUnsafeMemoryAccessIsSilent() {
        boolean allowed = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
                && !"false".equals(System.getProperty("sonde.rawMemory"));
        boolean internal = Object.class.getModule().isExported("jdk.internal.misc", HotMemory.class.getModule());
        assertEquals(allowed && (Runtime.version().feature() <= 23 || internal), HotMemory.RAW);
        // From 24 on, raw means the internal Unsafe, which never warns (the surefire pass on JDK 25 exports it).
        assertEquals(allowed && Runtime.version().feature() >= 24 && internal, JdkUnsafe.AVAILABLE);
        assertEquals(!HotMemory.RAW ? "VarHandle" : JdkUnsafe.AVAILABLE ? "jdk.internal.misc.Unsafe" : "sun.misc.Unsafe",
                Maps.memoryAccess());
    }

    @Test
    void accessesAreLittleEndianAtTheBufferOffset() {
        ByteBuffer b = ByteBuffer.allocateDirect(64).order(ByteOrder.LITTLE_ENDIAN);
        HotMemory.putLong(b, 8, 0x0102030405060708L);
        assertEquals(0x08, b.get(8));
        assertEquals(0x0102030405060708L, HotMemory.getLong(b, 8));
        HotMemory.putIntRelease(b, 16, 0x11223344);
        assertEquals(0x11223344, b.getInt(16));
        assertEquals(false, HotMemory.compareAndSetLong(b, 24, 1L, 2L));
        assertEquals(true, HotMemory.compareAndSetLong(b, 24, 0L, 2L));
        assertEquals(2L, b.getLong(24));
        HotMemory.putInt(b, 32, -7);
        assertEquals(-7, b.getInt(32));
        assertEquals(-7, HotMemory.getInt(b, 32));
        assertEquals(-7, HotMemory.getIntAcquire(b, 32));
        HotMemory.putLongRelease(b, 40, 99L);
        assertEquals(99L, HotMemory.getLongAcquire(b, 40));
        assertEquals(99L, HotMemory.getLongVolatile(b, 40));
        assertEquals(99L, HotMemory.getAndAddLong(b, 40, 3L));
        assertEquals(102L, b.getLong(40));
        assertEquals(-7, HotMemory.getAndSetInt(b, 32, 5));
        assertEquals(5, b.getInt(32));
        byte[] src = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        assertEquals(0x0908070605040302L, HotMemory.getLong(src, 1));

        long base = HotMemory.base(b); // the (b, base, off) methods: the address read once by the caller
        assertEquals(HotMemory.RAW, base != 0);
        HotMemory.putLongOpaque(b, base, 48, 0x0102030405060708L);
        assertEquals(0x08, b.get(48));
        assertEquals(0x0102030405060708L, HotMemory.getLong(b, base, 48));
        assertEquals(0x0102030405060708L, HotMemory.getLongAcquire(b, base, 48));
        assertEquals(0x0102030405060708L, HotMemory.getAndAddLong(b, base, 48, 1L));
        assertEquals(0x0102030405060709L, b.getLong(48));
        HotMemory.putIntOpaque(b, base, 56, -3);
        assertEquals(-3, b.getInt(56));
        assertEquals(-3, HotMemory.getInt(b, base, 56));
        assertEquals(-3, HotMemory.getIntAcquire(b, base, 56));
        assertEquals(-3, HotMemory.getAndAddInt(b, base, 56, 5));
        assertEquals(2, b.getInt(56));
    }
}
