package dev.sonde.agent.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sonde.maps.BpfMap;
import dev.sonde.maps.MapType;
import dev.sonde.maps.Maps;
import dev.sonde.maps.SondeException;
import dev.sonde.maps.StructOpsLayout;
import dev.sonde.maps.StructOpsMap;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sonde struct_ops list|dump <pid>}: bpftool struct_ops: which subsystem each map serves, its state and programs. */
@Command(name = "struct_ops", description = "Show struct_ops maps: subsystem, state, reference count, program per callback.",
        subcommands = {StructOpsCommand.ListCmd.class, StructOpsCommand.DumpCmd.class})
final class StructOpsCommand {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private StructOpsCommand() {
    }

    static String stateName(int state) {
        switch (state) {
            case StructOpsLayout.STATE_INIT: return "init";
            case StructOpsLayout.STATE_INUSE: return "inuse";
            case StructOpsLayout.STATE_TOBEFREE: return "tobefree";
            case StructOpsLayout.STATE_READY: return "ready";
            default: return "state" + state;
        }
    }

    /** Subsystem, state, refcnt and the program behind each callback, from the map's value and header. */
    static ObjectNode describe(StructOpsMap m, boolean withSlots) {
        ObjectNode o = F.objectNode();
        o.put("id", m.id());
        o.put("name", m.name());
        o.put("subsystem", m.structOpsName());
        byte[] key = new byte[4];
        byte[] value = new byte[m.valueBufferSize()];
        if (m.lookup(key, value) == 0) {
            ByteBuffer v = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
            o.put("state", stateName(v.getInt(StructOpsLayout.STATE)));
            o.put("refcnt", Integer.toUnsignedLong(v.getInt(StructOpsLayout.REFCNT)));
            if (withSlots) {
                ArrayNode slots = o.putArray("callbacks");
                for (int i = 0; i < m.slotCount(); i++) {
                    ObjectNode s = slots.addObject();
                    s.put("name", m.slotName(i));
                    s.put("mandatory", m.slotMandatory(i));
                    s.put("prog_id", v.getInt(StructOpsLayout.PROG_IDS + i * StructOpsLayout.PROG_ID_SIZE));
                }
            }
        }
        return o;
    }

    abstract static class Base implements Callable<Integer> {
        @Mixin
        OutputOptions output;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "<pid>")
        String target;

        @Option(names = "--dir", description = "A <sonde dir>/<pid> directory instead of a pid.")
        Path dir;

        /** The struct_ops maps of the target, optionally only {@code only} (a name or id). */
        ArrayNode collect(String only, boolean withSlots) {
            MapTarget t = MapTarget.resolve(dir == null ? target : null, dir);
            ArrayNode arr = F.arrayNode();
            for (Path p : t.mapFiles()) {
                try (BpfMap m = Maps.open(p)) {
                    if (m.type() == MapType.STRUCT_OPS
                            && (only == null || only.equals(m.name()) || only.equals(Integer.toString(m.id())))) {
                        arr.add(describe((StructOpsMap) m, withSlots));
                    }
                } catch (SondeException notAMap) {
                    // `map list` reports files that are not maps; here they are simply not struct_ops.
                }
            }
            return arr;
        }
    }

    @Command(name = "list", aliases = "show", description = "One line per struct_ops map: id, name, subsystem, state.")
    static final class ListCmd extends Base {
        @Override
        public Integer call() {
            ArrayNode arr = collect(null, false);
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                output.printJson(out, arr);
                return 0;
            }
            for (var o : arr) {
                out.printf("%d: %s  %s  state %s  refcnt %d%n", o.get("id").asInt(), o.get("name").asText(),
                        o.get("subsystem").asText(), o.path("state").asText("?"), o.path("refcnt").asLong());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "dump", description = "Every struct_ops map (or one) with the program behind each callback.")
    static final class DumpCmd extends Base {
        @Parameters(index = "1", arity = "0..1", paramLabel = "<name|id>")
        String only;

        @Override
        public Integer call() {
            ArrayNode arr = collect(only, true);
            if (only != null && arr.isEmpty()) {
                throw new CliError(CliError.NOT_FOUND, "no struct_ops map '" + only + "'; list them with `sonde struct_ops list " + target + "`");
            }
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                output.printJson(out, arr);
                return 0;
            }
            for (var o : arr) {
                out.printf("%d: %s  %s  state %s  refcnt %d%n", o.get("id").asInt(), o.get("name").asText(),
                        o.get("subsystem").asText(), o.path("state").asText("?"), o.path("refcnt").asLong());
                for (var s : o.path("callbacks")) {
                    int prog = s.get("prog_id").asInt();
                    out.printf("\t%-20s %s%s%n", s.get("name").asText(), prog == 0 ? "(default)" : "prog " + prog,
                            s.get("mandatory").asBoolean() ? "" : "  (optional)");
                }
            }
            out.flush();
            return 0;
        }
    }
}
