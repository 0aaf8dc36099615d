package dev.sonde.maps;

import java.util.Objects;

/** One named field of a key or value schema: its type, byte offset and size. */
public final class Field {
    private final String name;
    private final FieldType type;
    private final int offset;
    private final int size;

    public Field(String name, FieldType type, int offset, int size) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (offset < 0 || size <= 0) {
            throw new SondeException(Errno.EINVAL, "field '" + name + "': offset " + offset + " and size " + size
                    + " must be >= 0 and > 0; give the field's byte offset and length inside the value");
        }
        if (type.fixedSize() != 0 && type.fixedSize() != size) {
            throw new SondeException(Errno.EINVAL, "field '" + name + "' of type " + type + " must be "
                    + type.fixedSize() + " bytes, not " + size + "; fix its size or pick another type");
        }
        this.name = name;
        this.type = type;
        this.offset = offset;
        this.size = size;
    }

    public static Field of(String name, FieldType type, int offset) {
        return new Field(name, type, offset, type.fixedSize());
    }

    public String name() { return name; }
    public FieldType type() { return type; }
    public int offset() { return offset; }
    public int size() { return size; }

    @Override
    public String toString() {
        return name + ":" + type + "@" + offset + "+" + size;
    }
}
