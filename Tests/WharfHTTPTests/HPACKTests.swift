import Foundation
@testable import WharfHTTP
import XCTest

/// HPACK against the examples of RFC 7541 Appendix C, plus its limits.
final class HPACKTests: XCTestCase {
    private func hex(_ s: String) -> [UInt8] {
        let digits = Array(s.filter { $0.isHexDigit }.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }

    private func assertFields(_ got: [(name: String, value: String)], _ want: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.map { "\($0.name): \($0.value)" }, want.map { "\($0.0): \($0.1)" }, file: file, line: line)
    }

    func testIntegerExamplesC1() throws {
        var out: [UInt8] = []
        HPACKInteger.encode(10, prefix: 5, flags: 0, into: &out)
        XCTAssertEqual(out, [0x0a])
        out = []
        HPACKInteger.encode(1337, prefix: 5, flags: 0, into: &out)
        XCTAssertEqual(out, [0x1f, 0x9a, 0x0a])
        out = []
        HPACKInteger.encode(42, prefix: 8, flags: 0, into: &out)
        XCTAssertEqual(out, [0x2a])
        var p = 0
        XCTAssertEqual(try [UInt8]([0x1f, 0x9a, 0x0a]).withUnsafeBytes { try HPACKInteger.decode($0, prefix: 5, position: &p) }, 1337)
        // Too many continuation bytes is an error, not an overflow trap.
        p = 0
        XCTAssertThrowsError(try [UInt8]([0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).withUnsafeBytes { try HPACKInteger.decode($0, prefix: 5, position: &p) })
    }

    func testHeaderFieldRepresentationsC2() throws {
        var d = HPACKDecoder()
        assertFields(try d.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")), [("custom-key", "custom-header")])
        XCTAssertEqual(d.dynamicTableSize, 55)
        var d2 = HPACKDecoder()
        assertFields(try d2.decode(hex("040c 2f73 616d 706c 652f 7061 7468")), [(":path", "/sample/path")])
        XCTAssertEqual(d2.dynamicTableSize, 0)
        var d3 = HPACKDecoder()
        assertFields(try d3.decode(hex("1008 7061 7373 776f 7264 0673 6563 7265 74")), [("password", "secret")])
        XCTAssertEqual(d3.dynamicTableSize, 0)
        var d4 = HPACKDecoder()
        assertFields(try d4.decode([0x82]), [(":method", "GET")])
        // Encoding: never-indexed names use the 0001 form.
        var e = HPACKEncoder(huffman: .never)
        e.neverIndexed = ["password"]
        XCTAssertEqual(e.encode([("password", "secret")]), hex("1008 7061 7373 776f 7264 0673 6563 7265 74"))
    }

    static let requests: [[(String, String)]] = [
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")],
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")],
        [(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")],
    ]
    static let responses: [[(String, String)]] = [
        [(":status", "302"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")],
        [(":status", "307"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")],
        [(":status", "200"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT"), ("location", "https://www.example.com"),
         ("content-encoding", "gzip"), ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1")],
    ]

    /// Decodes and encodes a sequence of blocks on one connection's tables.
    private func run(_ fields: [[(String, String)]], _ blocks: [String], sizes: [Int], tableSize: Int, huffman: Bool,
                     file: StaticString = #filePath, line: UInt = #line) throws {
        var d = HPACKDecoder(maxTableSize: tableSize)
        var e = HPACKEncoder(maxTableSize: tableSize, huffman: huffman ? .always : .never)
        e.neverIndexed = []
        for (i, block) in blocks.enumerated() {
            assertFields(try d.decode(hex(block)), fields[i], file: file, line: line)
            XCTAssertEqual(d.dynamicTableSize, sizes[i], "decoder table after block \(i + 1)", file: file, line: line)
            XCTAssertEqual(e.encode(fields[i].map { (name: $0.0, value: $0.1) }), hex(block), "encoding of block \(i + 1)", file: file, line: line)
            XCTAssertEqual(e.dynamicTableSize, sizes[i], file: file, line: line)
        }
    }

    func testRequestsWithoutHuffmanC3() throws {
        try run(Self.requests, ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                                "8286 84be 5808 6e6f 2d63 6163 6865",
                                "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"],
                sizes: [57, 110, 164], tableSize: 4096, huffman: false)
    }

    func testRequestsWithHuffmanC4() throws {
        try run(Self.requests, ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
                                "8286 84be 5886 a8eb 1064 9cbf",
                                "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"],
                sizes: [57, 110, 164], tableSize: 4096, huffman: true)
    }

    func testResponsesWithoutHuffmanC5() throws {
        try run(Self.responses, [
            "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "4803 3330 37c1 c0bf",
            "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
        ], sizes: [222, 222, 215], tableSize: 256, huffman: false)
    }

    func testResponsesWithHuffmanC6() throws {
        try run(Self.responses, [
            "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
            "4883 640e ffc1 c0bf",
            "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
        ], sizes: [222, 222, 215], tableSize: 256, huffman: true)
    }

    func testHuffmanRejectsBadPaddingAndEOS() {
        // "www.example.com" followed by a whole byte of padding.
        XCTAssertThrowsError(try hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff ff").withUnsafeBytes { try HPACKHuffman.decode($0) })
        // Padding with a zero bit.
        XCTAssertThrowsError(try [UInt8]([0x00]).withUnsafeBytes { try HPACKHuffman.decode($0) }) // '0' (5 bits) + 000: not ones
        // EOS (30 ones) inside the data.
        XCTAssertThrowsError(try [UInt8]([0xff, 0xff, 0xff, 0xfc]).withUnsafeBytes { try HPACKHuffman.decode($0) })
        var all: [UInt8] = []
        let bytes = (0...255).map { UInt8($0) }
        HPACKHuffman.encode(bytes, into: &all)
        XCTAssertEqual(try all.withUnsafeBytes { try HPACKHuffman.decode($0) }, bytes)
    }

    func testLimits() throws {
        // Table size update above the advertised maximum.
        var d = HPACKDecoder(maxTableSize: 4096)
        XCTAssertThrowsError(try d.decode(hex("3fe2 1f"))) // 4097
        // Size update after a field.
        XCTAssertThrowsError(try d.decode([0x82, 0x20]))
        // Index past the tables.
        XCTAssertThrowsError(try d.decode([0xbe])) { XCTAssertEqual($0 as? HPACKError, .invalidIndex(62)) }
        // String literal longer than allowed.
        var small = HPACKDecoder(maxStringLength: 8)
        XCTAssertThrowsError(try small.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0163"))) { XCTAssertEqual($0 as? HPACKError, .stringTooLong(10)) }
        // A header list past the limit is reported after the whole block, with the table still updated.
        var list = HPACKDecoder(maxHeaderListSize: 60)
        XCTAssertThrowsError(try list.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572 be"))) {
            XCTAssertEqual($0 as? HPACKError, .headerListTooLarge)
        }
        XCTAssertEqual(list.dynamicTableSize, 55)
        assertFields(try list.decode([0xbe]), [("custom-key", "custom-header")])
        // Truncated block.
        XCTAssertThrowsError(try d.decode(hex("400a 6375")))
    }

    func testEncoderSignalsTableSizeChange() throws {
        var e = HPACKEncoder()
        var d = HPACKDecoder()
        _ = try d.decode(e.encode([("x-a", "1")]))
        e.setMaxTableSize(0)
        let block = e.encode([("x-b", "2")])
        XCTAssertEqual(block.first, 0x20)
        assertFields(try d.decode(block), [("x-b", "2")])
        XCTAssertEqual(d.dynamicTableSize, 0)
    }
}
