package dev.sonde.probes.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonde.maps.MapType;
import org.junit.jupiter.api.Test;

class ProbeFileParserTest {
    private static final String GOOD = String.join("\n",
            "maps:",
            "  - name: calls",
            "    type: hash",
            "    keySize: 8",
            "    valueSize: 8",
            "    maxEntries: 1024",
            "    pinning: by_name",
            "  - name: lat",
            "    type: percpu_array",
            "    keySize: 4",
            "    valueSize: 8",
            "    maxEntries: 64",
            "probes:",
            "  - class: com.example.*Service",
            "    method: handle*",
            "    descriptor: (ILjava/lang/String;)J",
            "    program: count",
            "    maps: [calls]",
            "    options:",
            "      arg: 0",
            "  - class: com.example.Handler+",
            "    program: latency",
            "    maps: [lat]",
            "");

    private static ProbeFileException fails(String yaml) {
        return assertThrows(ProbeFileException.class, () -> ProbeFileParser.parse("p.yaml", yaml, false));
    }

    @Test
    void parsesMapsAndProbesWithTheirLocations() {
        ProbeFile f = ProbeFileParser.parse("p.yaml", GOOD, false);
        assertEquals(2, f.maps.size());
        MapDecl calls = f.maps.get(0);
        assertEquals("calls", calls.name);
        assertEquals(MapType.HASH, calls.type.type);
        assertEquals(1024, calls.maxEntries);
        assertEquals(MapDecl.Pinning.BY_NAME, calls.pinning);
        assertEquals(MapType.PERCPU_ARRAY, f.maps.get(1).type.type);
        assertEquals(MapDecl.Pinning.NONE, f.maps.get(1).pinning);
        assertEquals(2, calls.line());
        assertEquals(5, calls.column());
        ProbeDecl count = f.probes.get(0);
        assertEquals("count", count.program);
        assertTrue(count.type.matchesName("com.example.OrderService"));
        assertFalse(count.type.matchesName("com.example.OrderServiceImpl"));
        assertTrue(count.method.matches("handleOrder"));
        assertTrue(count.descriptor.matches("(ILjava/lang/String;)J"));
        assertEquals(0, count.options.get("arg").intValue());
        assertEquals(14, count.line());
        ProbeDecl lat = f.probes.get(1);
        assertTrue(lat.type.subtypes());
        assertEquals("com.example.Handler", lat.type.baseName());
        assertNull(lat.method);
    }

    @Test
    void jsonWorksToo() {
        ProbeFile f = ProbeFileParser.parse("p.json", "{\"maps\":[{\"name\":\"m\",\"type\":\"array\",\"keySize\":4,"
                + "\"valueSize\":8,\"maxEntries\":2}],\"probes\":[]}", true);
        assertEquals(MapType.ARRAY, f.maps.get(0).type.type);
    }

    @Test
    void unknownFieldNamesLineColumnAndTheValidFields() {
        ProbeFileException e = fails("maps:\n  - name: calls\n    type: hash\n    keysize: 8\n");
        assertEquals(4, e.line());
        assertTrue(e.column() > 0);
        assertTrue(e.getMessage().startsWith("p.yaml:4:" + e.column() + ": unknown field 'keysize' in a map; valid fields: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("keySize"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void wrongTypeNamesTheFieldAndWhatToWrite() {
        ProbeFileException e = fails("maps:\n  - name: calls\n    type: hash\n    keySize: eight\n");
        assertEquals(4, e.line());
        assertTrue(e.getMessage().contains("keySize: 'eight' is not a whole number"), e.getMessage());
    }

    @Test
    void unknownMapTypeListsTheTypes() {
        ProbeFileException e = fails("maps:\n  - name: calls\n    type: hashmap\n");
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("map type 'hashmap' is unknown; use one of hash, array"), e.getMessage());
    }

    @Test
    void badPatternsAndDescriptorsAreRefusedWhereTheyAre() {
        ProbeFileException c = fails("probes:\n  - program: count\n    class: com.example..Foo\n");
        assertEquals(3, c.line());
        assertTrue(c.getMessage().contains("class pattern 'com.example..Foo' is invalid"), c.getMessage());
        ProbeFileException m = fails("probes:\n  - program: count\n    class: a.B\n    method: get(x)\n");
        assertEquals(4, m.line());
        assertTrue(m.getMessage().contains("method pattern 'get(x)' is invalid"), m.getMessage());
        ProbeFileException d = fails("probes:\n  - program: count\n    class: a.B\n    descriptor: (int)V\n");
        assertEquals(4, d.line());
        assertTrue(d.getMessage().contains("not a JVM method descriptor"), d.getMessage());
    }

    @Test
    void badPinningListsTheChoices() {
        ProbeFileException e = fails("maps:\n  - name: calls\n    type: hash\n    pinning: always\n");
        assertEquals(4, e.line());
        assertTrue(e.getMessage().contains("pinning"), e.getMessage());
    }

    @Test
    void syntaxErrorsAndEmptyFiles() {
        ProbeFileException s = fails("maps:\n  - name: [unclosed\n");
        assertTrue(s.line() >= 2, s.getMessage());
        assertTrue(s.getMessage().startsWith("p.yaml:"), s.getMessage());
        ProbeFileException empty = fails("");
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
        ProbeFileException shape = fails("maps: calls\n");
        assertEquals(1, shape.line());
        assertTrue(shape.getMessage().contains("maps"), shape.getMessage());
    }
}
