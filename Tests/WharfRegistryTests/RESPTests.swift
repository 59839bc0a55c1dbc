import XCTest
@testable import WharfRegistry

/// The RESP2 reply parser: every reply type, replies split across reads, bad input refused.
final class RESPTests: XCTestCase {
    func testEveryReplyType() throws {
        let bytes = Array("+OK\r\n-ERR no\r\n:42\r\n$5\r\nhe\r\no\r\n$-1\r\n*2\r\n$1\r\na\r\n:-3\r\n*-1\r\n$0\r\n\r\n".utf8)
        var at = 0
        var values: [RESPValue] = []
        while let (v, next) = try RESP.parse(bytes, from: at) {
            values.append(v)
            at = next
        }
        XCTAssertEqual(at, bytes.count)
        XCTAssertEqual(values, [.simple("OK"), .error("ERR no"), .integer(42), .bulk(Array("he\r\no".utf8)), .bulk(nil),
                                .array([.bulk([UInt8(ascii: "a")]), .integer(-3)]), .array(nil), .bulk([])])
    }

    func testIncompleteRepliesWaitForMoreBytes() throws {
        let whole = Array("*2\r\n$3\r\nabc\r\n:1\r\n".utf8)
        for n in 0..<whole.count {
            XCTAssertNil(try RESP.parse(Array(whole[..<n])), "prefix of \(n) bytes")
        }
        XCTAssertNotNil(try RESP.parse(whole))
    }

    func testBadInputIsAnError() {
        for bad in ["?x\r\n", ":abc\r\n", "$-2\r\n", "$3\r\nabcde", "*-5\r\n", "+a\rb\r\n", "$\(RESP.maxBulkLength + 1)\r\n",
                    String(repeating: "*1\r\n", count: RESP.maxDepth + 2) + ":1\r\n", "+" + String(repeating: "a", count: 5000)] {
            XCTAssertThrowsError(try RESP.parse(Array(bad.utf8)), bad.debugDescription)
        }
    }

    func testCommandsEncodeAsBulkArrays() throws {
        let encoded = RESP.encode(["HSET", "blobs::sha256:ab", "size", "12"])
        XCTAssertEqual(String(decoding: encoded, as: UTF8.self), "*4\r\n$4\r\nHSET\r\n$16\r\nblobs::sha256:ab\r\n$4\r\nsize\r\n$2\r\n12\r\n")
        XCTAssertEqual(try RESP.parse(encoded)?.0, .array(["HSET", "blobs::sha256:ab", "size", "12"].map { .bulk(Array($0.utf8)) }))
    }
}
