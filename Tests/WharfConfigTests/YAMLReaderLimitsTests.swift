import XCTest
import WharfConfig

/// Depth, size and hostile inputs: refused cleanly or read in linear time, never a crash.
final class YAMLReaderLimitsTests: XCTestCase {
    func testNestingUpToTheLimitIsRead() throws {
        var text = ""
        for depth in 0..<(YAMLReader.maxDepth - 1) { text += String(repeating: " ", count: depth) + "k:\n" }
        text += String(repeating: " ", count: YAMLReader.maxDepth - 1) + "k: leaf\n"
        var node = try YAMLReader.parse(text, origin: "d.yml")
        var levels = 0
        while let next = node["k"] { node = next; levels += 1 }
        XCTAssertEqual(levels, YAMLReader.maxDepth)
        XCTAssertEqual(node.scalar, "leaf")
    }

    func testDeepMappingIsRefused() {
        var text = ""
        for depth in 0..<1_000 { text += String(repeating: " ", count: depth) + "k:\n" }
        XCTAssertThrowsError(try YAMLReader.parse(text, origin: "d.yml")) {
            XCTAssertEqual("\($0)", "d.yml:65: nesting deeper than 64 levels")
        }
    }

    func testDeepCompactSequenceIsRefused() {
        let text = String(repeating: "- ", count: 100_000) + "x\n"
        XCTAssertThrowsError(try YAMLReader.parse(text, origin: "d.yml")) {
            XCTAssertEqual("\($0)", "d.yml:1: nesting deeper than 64 levels")
        }
    }

    func testHugeFlatMappingIsReadQuickly() throws {
        var text = ""
        text.reserveCapacity(2_000_000)
        for i in 0..<50_000 { text += "key\(i): \"value \(i)\" # c\n" }
        let root = try YAMLReader.parse(text, origin: "h.yml")
        XCTAssertEqual(root.mapping?.count, 50_000)
        XCTAssertEqual(root["key49999"]?.scalar, "value 49999")
        XCTAssertEqual(root["key49999"]?.line, 50_000)
    }

    func testHugeSingleLinesAreRead() throws {
        let long = String(repeating: "x", count: 1_000_000)
        XCTAssertEqual(try YAMLReader.parse("a: \(long)\n", origin: "h.yml")["a"]?.scalar?.count, 1_000_000)
        let flow = "a: [" + Array(repeating: "v", count: 100_000).joined(separator: ", ") + "]\n"
        XCTAssertEqual(try YAMLReader.parse(flow, origin: "h.yml")["a"]?.sequence?.count, 100_000)
        // many ': ' candidates on one line stay linear
        let colons = "a: \"" + String(repeating: ": ", count: 200_000) + "\"\n"
        XCTAssertNotNil(try YAMLReader.parse(colons, origin: "h.yml")["a"])
    }

    func testArbitraryBytesNeverCrash() {
        // A deterministic sweep of short byte strings built from YAML's special characters.
        let alphabet: [UInt8] = Array(" \t\n\r-:#'\"[]{},&*!|>?%@`\\ax0.~".utf8) + [0xC3, 0xA9, 0xFF]
        var state: UInt64 = 0x9E3779B97F4A7C15
        var parsed = 0
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let count = Int(state >> 58)
            for _ in 0..<count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            if (try? YAMLReader.parse(Data(bytes), origin: "f")) != nil { parsed += 1 }
        }
        XCTAssertGreaterThan(parsed, 0, "some random inputs are valid YAML")
    }
}
