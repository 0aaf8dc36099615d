package dev.sonde.maps;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/**
 * The writer's side of one private relay file ({@link MapSpec#F_RELAY_PRIVATE_SHARDS}, see {@link RelayWriter}):
 * who owns it, and its write position and open lap, which only the owner reads and moves. One object, so the
 * owner's write loads its state from fields of one object instead of checked slots of three arrays.
 */
final class RelayPrivateFile {
    private static final VarHandle OWNER;

    static {
        try {
            OWNER = MethodHandles.lookup().findVarHandle(RelayPrivateFile.class, "owner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final ByteBuffer buffer;
    /** The file's number: {@code numShards + shard}. */
    final int file;
    /**
     * The owning thread, or null. The owner tests it with a plain read: only it makes itself the owner, and only
     * it, or its end, takes that away. Everyone else goes through {@link #owner()} and {@link #take}.
     */
    Thread owner;
    /** The file's write position, as the owner last stored it there. */
    long pos;
    /** The position that ends the open lap: a record fits when {@code pos + need <= limit}. */
    long limit;
    /** A position's offset in the file is {@code position + delta} (within the open lap). */
    long delta;
    /** The stamp's sum ({@link RelayLayout#stampSum}) of a position is {@code stamp + position * factor}. */
    long stamp;

    RelayPrivateFile(ByteBuffer buffer, int file) {
        this.buffer = buffer;
        this.file = file;
    }

    /** The owner as other threads must read it: volatile, so an ended owner's writes are seen with its end. */
    Thread owner() {
        return (Thread) OWNER.getVolatile(this);
    }

    /**
     * Makes {@code t} the owner if the file has none or its owner has ended; whether it did. Volatile, then
     * {@code Thread.isAlive()} false: everything the old owner wrote, its file's position included, happens before
     * whatever {@code t} writes next (JLS 17.4.4), so {@code t} goes on from exactly where it stopped.
     */
    boolean takeIfFree(Thread t) {
        Thread o = owner();
        return (o == null || !o.isAlive()) && OWNER.compareAndSet(this, o, t);
    }

    /** No owner any more; volatile, so the next owner sees the position this one left. */
    void release() {
        OWNER.setVolatile(this, null);
    }
}
