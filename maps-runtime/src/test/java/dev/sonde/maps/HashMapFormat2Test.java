package dev.sonde.maps;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link HashMapTest} on hash format 2 ({@link HashLayout}): {@code -Dsonde.hashFormat=2} gives every new map format 2,
 * which plain hashes of one-word keys and values would otherwise not get (they get format 3, FoldedHashLayout).
 */
class HashMapFormat2Test extends HashMapTest {
    @BeforeAll
    static void formatTwo() {
        System.setProperty(HashFactory.HASH_FORMAT_PROPERTY, "2");
    }

    @AfterAll
    static void formatDefault() {
        System.clearProperty(HashFactory.HASH_FORMAT_PROPERTY);
    }

    @Test
    void newMapsOfOneWordKeysAndValuesAreFormatTwo() {
        try (BpfMap m = hash(MapType.HASH, 8, 8, 4, 0)) {
            assertEquals(HashLayout.HASH_ALGO_FIB64_V2, m.mem.getInt(HashLayout.HASH_ALGO_OFFSET));
            assertEquals(BpfHashMap.class, m.getClass());
        }
    }
}
