package dev.sonde.maps;

import static dev.sonde.maps.TestMaps.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every bad spec is a {@link SondeException} naming the problem, and leaves nothing in the maps directory. */
class MapSpecValidationTest {

    private static Set<String> mapsDirListing() throws IOException {
        Path dir = SondeDir.ensureDir(SondeDir.mapsDir());
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    /** Runs {@code bad}, expects a SondeException with {@code errno} whose message contains {@code words}. */
    private static void refused(int errno, String words, Executable bad) throws IOException {
        Set<String> before = mapsDirListing();
        SondeException e = assertThrows(SondeException.class, bad);
        assertEquals(errno, e.errno(), e.getMessage());
        assertTrue(e.getMessage().contains(words), "message '" + e.getMessage() + "' should name " + words);
        assertFalse(e.getMessage().contains("\n"), "one-line message");
        assertEquals(before, mapsDirListing(), "nothing left on disk");
    }

    @Test
    void zeroValueSize() throws IOException {
        refused(Errno.EINVAL, "value_size is 0", () -> Maps.create(array("v0", 0, 4).build()));
        refused(Errno.EINVAL, "value_size is 0", () -> Maps.create(percpu("v0", 0, 4).build()));
    }

    @Test
    void zeroMaxEntries() throws IOException {
        refused(Errno.EINVAL, "max_entries is 0", () -> Maps.create(array("e0", 8, 0).build()));
    }

    @Test
    void negativeSizes() throws IOException {
        refused(Errno.EINVAL, "must not be negative", () -> array("neg", -8, 4).build());
        refused(Errno.EINVAL, "must not be negative", () -> array("neg", 8, -1).build());
        refused(Errno.EINVAL, "must not be negative", () -> array("neg", 8, 4).keySize(-4).build());
    }

    @Test
    void arrayKeyMustBeFourBytes() throws IOException {
        for (int k : new int[] {0, 1, 8}) {
            refused(Errno.EINVAL, "key_size is " + k, () -> Maps.create(array("k", 8, 4).keySize(k).build()));
            refused(Errno.EINVAL, "keySize(4)", () -> Maps.create(percpu("k", 8, 4).keySize(k).build()));
        }
    }

    @Test
    void badNames() throws IOException {
        refused(Errno.EINVAL, "map name '' is invalid", () -> array("x", 8, 1).name("").build());
        String long65 = "a".repeat(65);
        refused(Errno.EINVAL, long65, () -> array("x", 8, 1).name(long65).build());
        refused(Errno.EINVAL, "'a/b' is invalid", () -> array("x", 8, 1).name("a/b").build());
        refused(Errno.EINVAL, "'..' is invalid".replace("'..'", "'../x'"), () -> array("x", 8, 1).name("../x").build());
        assertNotNull(array("x", 8, 1).name("a".repeat(64)).build(), "64 characters are fine");
    }

    @Test
    void flagsTheTypeDoesNotKnow() throws IOException {
        refused(Errno.EINVAL, "flags 0x40", () -> Maps.create(array("f", 8, 1).flags(MapSpec.F_ZERO_SEED).build()));
        refused(Errno.EINVAL, "flags 0x1 ", () -> Maps.create(array("f", 8, 1).flags(MapSpec.F_NO_PREALLOC).build()));
        refused(Errno.EINVAL, "flags 0x400", () -> Maps.create(percpu("f", 8, 1).flags(MapSpec.F_MMAPABLE).build()));
        refused(Errno.EINVAL, "flags 0x1000", () -> Maps.create(percpu("f", 8, 1).flags(ArrayMap.F_INNER_MAP).build()));
        refused(Errno.EINVAL, "flags 0x100000",
                () -> Maps.create(array("f", 8, 1).flags(MapSpec.F_RELAY_OVERWRITE).build()));
        refused(Errno.EINVAL, "F_RDONLY/F_WRONLY",
                () -> Maps.create(array("f", 8, 1).flags(MapSpec.F_RDONLY | MapSpec.F_WRONLY).build()));
        refused(Errno.EINVAL, "F_RDONLY_PROG/F_WRONLY_PROG",
                () -> Maps.create(array("f", 8, 1).flags(MapSpec.F_RDONLY_PROG | MapSpec.F_WRONLY_PROG).build()));
    }

    @Test
    void flagsTheArrayAccepts() {
        long[] ok = {MapSpec.F_MMAPABLE, MapSpec.F_RDONLY, MapSpec.F_WRONLY, MapSpec.F_RDONLY_PROG,
                MapSpec.F_WRONLY_PROG, ArrayMap.F_NUMA_NODE, ArrayMap.F_INNER_MAP, MapSpec.F_MMAPABLE | MapSpec.F_RDONLY_PROG};
        for (long f : ok) {
            try (BpfMap m = Maps.create(array("okflags", 8, 1).flags(f).build())) {
                assertEquals(f, m.flags());
            }
        }
        try (BpfMap m = Maps.create(percpu("okflags", 8, 1).flags(ArrayMap.F_NUMA_NODE).build())) {
            assertEquals(ArrayMap.F_NUMA_NODE, m.flags());
        }
    }

    @Test
    void percpuValueOverTheShardLimitIsE2big() throws IOException {
        refused(Errno.E2BIG, "per-shard limit", () -> Maps.create(percpu("big", 32 * 1024 + 1, 1).build()));
    }

    @Test
    void mapTooLargeForOneFileIsE2big() throws IOException {
        refused(Errno.E2BIG, "lower max_entries", () -> Maps.create(array("huge", 8, Integer.MAX_VALUE).build()));
    }

    @Test
    void badShardCount() throws IOException {
        refused(Errno.EINVAL, "power of two", () -> percpu("sh", 8, 1).numShards(3).build());
    }
}
