package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** What RelayWriter relies on from the JIT, checked on its own class file. */
class RelayWriterTest {

    @Test
    void theSlowPathStaysTooLargeForC2ToInline() throws IOException {
        int size = codeLength(RelayWriter.class, "advance");
        assertTrue(size >= RelayWriter.SLOW_PATH_MIN_BYTECODES, "RelayWriter.advance is " + size + " bytes of "
                + "bytecode; at " + RelayWriter.SLOW_PATH_MIN_BYTECODES + " or more C2 never inlines it into the "
                + "writers (FreqInlineSize); keep the slow path in that one method");
    }

    /** The bytecode length of {@code type}'s method {@code name} (the only one of that name), from its class file. */
    static int codeLength(Class<?> type, String name) throws IOException {
        try (InputStream raw = type.getResourceAsStream(type.getSimpleName() + ".class");
                DataInputStream in = new DataInputStream(raw)) {
            in.readInt(); // magic
            in.readInt(); // minor, major
            int count = in.readUnsignedShort();
            String[] utf8 = new String[count];
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[i] = in.readUTF();
                    case 7, 8, 16, 19, 20 -> in.skipBytes(2);
                    case 15 -> in.skipBytes(3);
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
                    case 5, 6 -> {
                        in.skipBytes(8);
                        i++; // a long or double takes two entries
                    }
                    default -> throw new IOException("constant pool tag " + tag + " at entry " + i);
                }
            }
            in.skipBytes(6); // access flags, this class, super class
            in.skipBytes(2 * in.readUnsignedShort()); // interfaces
            skipMembers(in); // fields
            int methods = in.readUnsignedShort();
            for (int m = 0; m < methods; m++) {
                in.skipBytes(2);
                String method = utf8[in.readUnsignedShort()];
                in.skipBytes(2); // descriptor
                int attributes = in.readUnsignedShort();
                for (int a = 0; a < attributes; a++) {
                    String attribute = utf8[in.readUnsignedShort()];
                    int length = in.readInt();
                    if (method.equals(name) && attribute.equals("Code")) {
                        in.skipBytes(4); // max_stack, max_locals
                        return in.readInt();
                    }
                    in.skipBytes(length);
                }
            }
        }
        throw new IOException(type.getName() + " has no method " + name);
    }

    private static void skipMembers(DataInputStream in) throws IOException {
        int members = in.readUnsignedShort();
        for (int f = 0; f < members; f++) {
            in.skipBytes(6);
            int attributes = in.readUnsignedShort();
            for (int a = 0; a < attributes; a++) {
                in.skipBytes(2);
                in.skipBytes(in.readInt());
            }
        }
    }
}
