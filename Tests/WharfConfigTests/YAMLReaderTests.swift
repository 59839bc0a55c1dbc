import XCTest
@testable import WharfConfig

/// Every construct the YAML subset accepts, read to the expected tree.
final class YAMLReaderTests: XCTestCase {
    private func parse(_ text: String) throws -> YAMLNode { try YAMLReader.parse(text, origin: "t.yml") }

    /// A compact description of a tree: scalars as text, sequences `[..]`, mappings `{k=v}`.
    private func shape(_ n: YAMLNode) -> String {
        switch n.content {
        case .scalar(let s, _): return n.isNull ? "~" : s
        case .sequence(let items): return "[" + items.map(shape).joined(separator: ",") + "]"
        case .mapping(let entries): return "{" + entries.map { "\($0.key)=\(shape($0.value))" }.joined(separator: ",") + "}"
        }
    }

    func testBlockMappingKeepsOrderAndLines() throws {
        let root = try parse("b: 1\na: 2\nc:\n  d: x\n")
        XCTAssertEqual(shape(root), "{b=1,a=2,c={d=x}}")
        XCTAssertEqual(root.mapping?.map(\.key), ["b", "a", "c"])
        XCTAssertEqual(root.mapping?.map(\.keyLine), [1, 2, 3])
        XCTAssertEqual(root["c"]?.line, 4)
        XCTAssertEqual(root["c"]?["d"]?.line, 4)
    }

    func testBlockSequences() throws {
        XCTAssertEqual(shape(try parse("- a\n- b\n")), "[a,b]")
        XCTAssertEqual(shape(try parse("k:\n  - a\n  - b\n")), "{k=[a,b]}")
        // a sequence may sit at its key's indentation
        XCTAssertEqual(shape(try parse("k:\n- a\n- b\nm: 1\n")), "{k=[a,b],m=1}")
        XCTAssertEqual(shape(try parse("- - a\n  - b\n- c\n")), "[[a,b],c]")
        XCTAssertEqual(shape(try parse("-\n  x: 1\n-\n")), "[{x=1},~]")
    }

    func testMappingsInSequences() throws {
        let root = try parse("""
        endpoints:
          - name: a
            url: http://a/x
          - name: b
            headers:
              X: [1, 2]
        """)
        XCTAssertEqual(shape(root), "{endpoints=[{name=a,url=http://a/x},{name=b,headers={X=[1,2]}}]}")
    }

    func testFlowCollections() throws {
        XCTAssertEqual(shape(try parse("a: [x, \"y z\", 'w']\n")), "{a=[x,y z,w]}")
        XCTAssertEqual(shape(try parse("a: []\nb: {}\nc: [ ]\nd: { }\n")), "{a=[],b={},c=[],d={}}")
        XCTAssertEqual(shape(try parse("a: [x, y,]\n")), "{a=[x,y]}")
        XCTAssertEqual(shape(try parse("a: [x] # c\n")), "{a=[x]}")
    }

    func testPlainScalars() throws {
        let root = try parse("addr: :5000\nurl: http://h:1/p?q=a#frag\nhash: a#b\nsp: two words  \n")
        XCTAssertEqual(root["addr"]?.scalar, ":5000")
        XCTAssertEqual(root["url"]?.scalar, "http://h:1/p?q=a#frag")
        XCTAssertEqual(root["hash"]?.scalar, "a#b")
        XCTAssertEqual(root["sp"]?.scalar, "two words")
    }

    func testQuotedScalarsAndEscapes() throws {
        let root = try parse(#"""
        a: "tab\there \"q\" \\ \/ \x41 \u00e9 \U0001F600 \N\_"
        b: 'it''s # not a comment'
        c: ""
        "quoted key": 1
        'single key': 2
        e: "\0\a\b\v\f\r\e\ \L\P"
        """#)
        XCTAssertEqual(root["a"]?.scalar, "tab\there \"q\" \\ / A é 😀 \u{85}\u{A0}")
        XCTAssertEqual(root["b"]?.scalar, "it's # not a comment")
        XCTAssertEqual(root["c"]?.scalar, "")
        XCTAssertFalse(root["c"]!.isNull, "a quoted empty string is not null")
        XCTAssertEqual(root["quoted key"]?.scalar, "1")
        XCTAssertEqual(root["single key"]?.scalar, "2")
        XCTAssertEqual(root["e"]?.scalar, "\0\u{7}\u{8}\u{B}\u{C}\r\u{1B} \u{2028}\u{2029}")
        guard case .scalar(_, .singleQuoted) = root["b"]!.content else { return XCTFail("style") }
    }

    func testCommentsBlankLinesDocumentStartAndCRLF() throws {
        let text = "# head\n---  # start\n\na: 1 # trailing\n   # indented comment\n\t\n  \nb:   # empty\n"
        XCTAssertEqual(shape(try parse(text)), "{a=1,b=~}")
        XCTAssertEqual(shape(try parse("a: 1\r\nb:\r\n  c: 2\r\n")), "{a=1,b={c=2}}")
        XCTAssertEqual(shape(try parse("\u{FEFF}a: 1\n")), "{a=1}")
    }

    func testNullsAndEmptyDocument() throws {
        XCTAssertTrue(try parse("").isNull)
        XCTAssertTrue(try parse("# only a comment\n\n").isNull)
        XCTAssertTrue(try parse("---\n").isNull)
        let root = try parse("a:\nb: ~\nc: null\n")
        XCTAssertTrue(root["a"]!.isNull)
        XCTAssertTrue(root["b"]!.isNull)
        XCTAssertTrue(root["c"]!.isNull)
    }

    func testUnicodeKeysAndValues() throws {
        let root = try parse("clé: värde 名前\n\"ключ\": '😀'\n")
        XCTAssertEqual(root["clé"]?.scalar, "värde 名前")
        XCTAssertEqual(root["ключ"]?.scalar, "😀")
    }

    func testTabsInsideALineAreSeparators() throws {
        XCTAssertEqual(try parse("a:\tb\t# c\n")["a"]?.scalar, "b")
    }

    func testIndentedRootDocument() throws {
        XCTAssertEqual(shape(try parse("  a: 1\n  b: 2\n")), "{a=1,b=2}")
    }

    func testTypedAccessorsNameThePathAndLine() throws {
        let root = try parse("http:\n  addr:\n    x: 1\n  flag: maybe\n  n: -3\n  list: [a, b]\n  one: a\n")
        XCTAssertThrowsError(try root["http"]!["addr"]!.string(at: "http.addr")) {
            XCTAssertEqual("\($0)", "t.yml:3: http.addr: expected a scalar, found a mapping")
        }
        XCTAssertThrowsError(try root["http"]!["flag"]!.bool(at: "http.flag")) {
            XCTAssertEqual("\($0)", "t.yml:4: http.flag: expected true or false (also yes/no, on/off), found 'maybe'")
        }
        XCTAssertThrowsError(try root["http"]!["n"]!.int(at: "http.n")) {
            XCTAssertEqual("\($0)", "t.yml:5: http.n: expected a non-negative integer, found '-3'")
        }
        let typed = try parse("d: 1h30m\nz: 4MiB\nbad: 4 parsecs\n")
        XCTAssertEqual(try typed["d"]!.duration(at: "d"), 5400)
        XCTAssertEqual(try typed["z"]!.byteSize(at: "z"), 4 << 20)
        XCTAssertThrowsError(try typed["bad"]!.duration(at: "x.bad")) {
            XCTAssertEqual("\($0)", "t.yml:3: x.bad: invalid duration '4 parsecs' (expected e.g. 30s, 2m, 1h30m)")
        }
        XCTAssertThrowsError(try typed["bad"]!.byteSize(at: "x.bad")) {
            XCTAssertEqual("\($0)", "t.yml:3: x.bad: invalid size '4 parsecs' (expected bytes, or e.g. 64KiB, 4MiB, 1GiB)")
        }
        XCTAssertEqual(try root["http"]!["list"]!.stringList(at: "l"), ["a", "b"])
        XCTAssertEqual(try root["http"]!["one"]!.stringList(at: "l"), ["a"])
        XCTAssertThrowsError(try root["http"]!["one"]!.entries(at: "http.one")) {
            XCTAssertEqual("\($0)", "t.yml:7: http.one: expected a mapping, found a scalar")
        }
    }

    func testSetCreatesPathAndReplaces() throws {
        var root = try parse("a:\n  b: 1\n")
        root.set(YAMLNode(.scalar("2", .plain), line: 0, origin: "$X"), at: ["a", "b"])
        root.set(YAMLNode(.scalar("3", .plain), line: 0, origin: "$Y"), at: ["c", "d"])
        XCTAssertEqual(shape(root), "{a={b=2},c={d=3}}")
        XCTAssertEqual(root["c"]?["d"]?.origin, "$Y")
        root.removeValue(forKey: "a")
        XCTAssertEqual(shape(root), "{c={d=3}}")
    }
}
