import XCTest
import WharfConfig

/// Every construct outside the subset is refused with `file:line: what is wrong`.
final class YAMLReaderRefusalTests: XCTestCase {
    private func assertRefused(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try YAMLReader.parse(text, origin: "c.yml"), file: file, line: line) { error in
            XCTAssertEqual("\(error)", expected, file: file, line: line)
        }
    }

    func testTabsInIndentation() {
        assertRefused("a:\n\tb: 1\n", "c.yml:2: tab character in indentation")
        assertRefused("a:\n  \tb: 1\n", "c.yml:2: tab character in indentation")
        assertRefused("-\tx\n", "c.yml:1: tab character in indentation")
    }

    func testAnchorsAliasesTagsDirectives() {
        assertRefused("a: &x 1\n", "c.yml:1: anchors ('&') are not supported")
        assertRefused("a: 1\nb: *x\n", "c.yml:2: aliases ('*') are not supported")
        assertRefused("a: !!str 1\n", "c.yml:1: tags ('!') are not supported")
        assertRefused("%YAML 1.2\n---\na: 1\n", "c.yml:1: directives are not supported")
        assertRefused("a: [&x 1]\n", "c.yml:1: anchors ('&') are not supported")
    }

    func testDocumentsAndMarkers() {
        assertRefused("a: 1\n---\nb: 2\n", "c.yml:2: multiple documents are not supported")
        assertRefused("---\n---\n", "c.yml:2: multiple documents are not supported")
        assertRefused("--- a: 1\n", "c.yml:1: content after '---' is not supported")
        assertRefused("a: 1\n...\n", "c.yml:2: document end marker '...' is not supported")
    }

    func testBlockScalarsAndComplexKeys() {
        assertRefused("a: |\n  text\n", "c.yml:1: block scalars ('|', '>') are not supported")
        assertRefused("a: >-\n  text\n", "c.yml:1: block scalars ('|', '>') are not supported")
        assertRefused("? a\n: b\n", "c.yml:1: complex mapping keys ('?') are not supported")
    }

    func testFlowCollections() {
        assertRefused("a: {b: 1}\n", "c.yml:1: flow mappings with content are not supported (use a block mapping)")
        assertRefused("a: [b: 1]\n", "c.yml:1: flow mappings are not supported")
        assertRefused("a: [[1]]\n", "c.yml:1: nested flow collections are not supported")
        assertRefused("a: [1, {}]\n", "c.yml:1: nested flow collections are not supported")
        assertRefused("a: [1,\n  2]\n", "c.yml:1: unterminated flow sequence (it must close on the same line)")
        assertRefused("a: [1, , 2]\n", "c.yml:1: empty entry in flow sequence")
        assertRefused("a: [1] x\n", "c.yml:1: unexpected text after flow sequence")
        assertRefused("a: [1 # c\n", "c.yml:1: unterminated flow sequence (it must close on the same line)")
        assertRefused("a: {} x\n", "c.yml:1: unexpected text after '{}'")
    }

    func testDuplicateKeys() {
        assertRefused("a: 1\nb: 2\na: 3\n", "c.yml:3: duplicate key 'a' (first at line 1)")
        assertRefused("x:\n  k: 1\n  'k': 2\n", "c.yml:3: duplicate key 'k' (first at line 2)")
    }

    func testScalars() {
        assertRefused("a: \"open\n", "c.yml:1: unterminated double-quoted scalar (quoted scalars must close on the same line)")
        assertRefused("a: 'open\n", "c.yml:1: unterminated single-quoted scalar (quoted scalars must close on the same line)")
        assertRefused("a: \"\\q\"\n", "c.yml:1: invalid escape '\\q' in double-quoted scalar")
        assertRefused("a: \"\\uD800\"\n", "c.yml:1: escape names an invalid code point U+D800")
        assertRefused("a: \"\\u12\"\n", "c.yml:1: truncated escape in double-quoted scalar")
        assertRefused("a: \"\\xZZ\"\n", "c.yml:1: invalid hex digit in escape")
        assertRefused("a: \"x\" y\n", "c.yml:1: unexpected text after quoted scalar")
        assertRefused("a: b: c\n", "c.yml:1: mapping values are not allowed here (quote the value if it contains ': ')")
        assertRefused("a: x\n  continued\n", "c.yml:2: unexpected indentation")
        assertRefused("- x\n  continued\n", "c.yml:2: unexpected indentation")
        assertRefused("x\n  continued\n", "c.yml:2: unexpected indentation (multi-line scalars are not supported)")
        assertRefused("a: @x\n", "c.yml:1: reserved character '@' cannot start a plain scalar")
    }

    func testStructure() {
        assertRefused("a: - b\n", "c.yml:1: a block sequence cannot start on the line of its key")
        assertRefused("a: 1\n- b\n", "c.yml:2: expected a mapping key, found a sequence item")
        assertRefused("- a\nb: 1\n", "c.yml:2: unexpected content (check the indentation)")
        assertRefused("a:\n    b: 1\n  c: 2\n", "c.yml:3: unexpected indentation")
        assertRefused("  a: 1\nb: 2\n", "c.yml:2: unexpected content (check the indentation)")
        assertRefused("a: 1\n  b: 2\n", "c.yml:2: unexpected indentation")
        assertRefused("a: 1\njust text\n", "c.yml:2: expected 'key: value'")
        assertRefused(": v\n", "c.yml:1: empty mapping key")
    }

    func testEncoding() {
        XCTAssertThrowsError(try YAMLReader.parse(Data([0x61, 0x3A, 0x20, 0xFF, 0x0A]), origin: "c.yml")) {
            XCTAssertEqual("\($0)", "c.yml:1: invalid UTF-8")
        }
        assertRefused("a: 1\nb: \u{1}\n", "c.yml:2: control character U+0001 is not allowed")
        assertRefused("a: \u{7F}\n", "c.yml:1: control character U+007F is not allowed")
    }
}
