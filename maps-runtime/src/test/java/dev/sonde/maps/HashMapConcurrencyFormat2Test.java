package dev.sonde.maps;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link HashMapConcurrencyTest} on hash format 2 ({@link HashLayout}): {@code -Dsonde.hashFormat=2} gives every new
 * map format 2, which plain hashes of one-word keys and values would otherwise not get (they get format 3,
 * FoldedHashLayout).
 */
class HashMapConcurrencyFormat2Test extends HashMapConcurrencyTest {
    @BeforeAll
    static void formatTwo() {
        System.setProperty(HashFactory.HASH_FORMAT_PROPERTY, "2");
    }

    @AfterAll
    static void formatDefault() {
        System.clearProperty(HashFactory.HASH_FORMAT_PROPERTY);
    }
}
