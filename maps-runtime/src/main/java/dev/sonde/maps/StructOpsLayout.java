package dev.sonde.maps;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A {@code STRUCT_OPS} map file: which subsystem and callback slots the map describes (in the header page's
 * type area), and the map's single value (in the data area), so that {@link Maps#open} from another process and
 * the CLI read the registration without the JVM that made it. All integers little-endian.
 *
 * <pre>
 *  type area (header page, from 512)
 *  512 +--------------+--------------+-----------------------------------------------+
 *      | name_len u32 | n_slots u32  | subsystem name (64 bytes, UTF-8, zero padded) |
 *  584 +--------------+--------------+-----------------------------------------------+
 *      | slot 0: flags u32 (bit 0 MANDATORY) | name_len u32 | name (56 bytes)          |  64 bytes a slot
 *      | slot 1: ...                                                                  |
 *      +------------------------------------------------------------------------------+  at most MAX_SLOTS
 *
 *  data area (4096): the value, value_size = round_up(8 + 4 * n_slots, 8)
 *  4096 +------------+------------+--------------+--------------+-----+---------+
 *       | refcnt u32 | state u32  | prog_id[0]   | prog_id[1]   | ... | pad->8  |
 *       +------------+------------+--------------+--------------+-----+---------+
 *        state: 0 INIT, 1 INUSE, 2 TOBEFREE, 3 READY (the kernel's enum bpf_struct_ops_state)
 *        refcnt: references the subsystem holds on the registration (1 while INUSE or linked); a lookup in
 *                the JVM that owns the map adds the calls inside the subsystem at that moment
 *        prog_id[i]: the program behind slot i, 0 when the slot has none (an optional slot left to its default)
 * </pre>
 *
 * The state word is the registration's authority: its CAS from INUSE to TOBEFREE is what delete races on, and
 * it is written last (release) on registration, so a reader that sees INUSE sees the program ids.
 */
public final class StructOpsLayout {
    public static final int STATE_INIT = 0;
    public static final int STATE_INUSE = 1;
    public static final int STATE_TOBEFREE = 2;
    /** A {@link StructOpsMap#F_LINK} map after its update: complete, registered only through a {@link StructOpsLink}. */
    public static final int STATE_READY = 3;

    public static final int NAME_LEN_OFFSET = MapHeaderLayout.TYPE_AREA_OFFSET;
    public static final int N_SLOTS_OFFSET = NAME_LEN_OFFSET + 4;
    public static final int NAME_OFFSET = N_SLOTS_OFFSET + 4;
    public static final int NAME_MAX = 64;
    public static final int SLOTS_OFFSET = NAME_OFFSET + NAME_MAX;
    public static final int SLOT_SIZE = 64;
    public static final int SLOT_FLAGS = 0;
    public static final int SLOT_NAME_LEN = 4;
    public static final int SLOT_NAME = 8;
    public static final int SLOT_NAME_MAX = SLOT_SIZE - SLOT_NAME;
    /** Slot flag: a registration without this slot is refused with -EINVAL. */
    public static final int SLOT_MANDATORY = 1;
    /** Slots that fit in the header page. */
    public static final int MAX_SLOTS = (MapHeaderLayout.PAGE_SIZE - SLOTS_OFFSET) / SLOT_SIZE;

    /** Offsets inside the value. */
    public static final int REFCNT = 0;
    public static final int STATE = 4;
    public static final int PROG_IDS = 8;
    public static final int PROG_ID_SIZE = 4;

    private StructOpsLayout() {
    }

    /** The exact value size a map for a subsystem of {@code nSlots} slots must declare. */
    public static int valueSize(int nSlots) {
        return MapMemory.roundUp8(PROG_IDS + PROG_ID_SIZE * nSlots);
    }

    public static int progIdOffset(int slot) {
        return PROG_IDS + PROG_ID_SIZE * slot;
    }

    public static int slotOffset(int slot) {
        return SLOTS_OFFSET + SLOT_SIZE * slot;
    }

    public static String stateName(int state) {
        switch (state) {
            case STATE_INIT: return "init";
            case STATE_INUSE: return "inuse";
            case STATE_TOBEFREE: return "tobefree";
            case STATE_READY: return "ready";
            default: return "state_" + state;
        }
    }

    /** Writes the subsystem's name and slots into a fresh file's type area. */
    static void writeDescription(ByteBuffer mem, StructOpsType<?> type) {
        putString(mem, NAME_LEN_OFFSET, NAME_OFFSET, type.name());
        mem.putInt(N_SLOTS_OFFSET, type.slotCount());
        for (int i = 0; i < type.slotCount(); i++) {
            StructOpsType.Slot s = type.slot(i);
            int at = slotOffset(i);
            mem.putInt(at + SLOT_FLAGS, s.mandatory() ? SLOT_MANDATORY : 0);
            putString(mem, at + SLOT_NAME_LEN, at + SLOT_NAME, s.name());
        }
    }

    static String typeName(ByteBuffer mem) {
        return getString(mem, NAME_LEN_OFFSET, NAME_OFFSET, NAME_MAX);
    }

    /** Slots recorded in the file, clamped to what the page can hold (the file may be damaged). */
    static int slotCount(ByteBuffer mem) {
        return Math.max(0, Math.min(MAX_SLOTS, mem.getInt(N_SLOTS_OFFSET)));
    }

    static String slotName(ByteBuffer mem, int slot) {
        int at = slotOffset(slot);
        return getString(mem, at + SLOT_NAME_LEN, at + SLOT_NAME, SLOT_NAME_MAX);
    }

    static boolean slotMandatory(ByteBuffer mem, int slot) {
        return (mem.getInt(slotOffset(slot) + SLOT_FLAGS) & SLOT_MANDATORY) != 0;
    }

    private static void putString(ByteBuffer mem, int lenAt, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        mem.putInt(lenAt, b.length);
        mem.put(at, b);
    }

    private static String getString(ByteBuffer mem, int lenAt, int at, int max) {
        byte[] b = new byte[Math.max(0, Math.min(max, mem.getInt(lenAt)))];
        mem.get(at, b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
