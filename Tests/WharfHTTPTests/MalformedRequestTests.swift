import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

/// Smuggling shapes and malformed input: each is refused with a 4xx/5xx and a close, and
/// the server keeps answering afterwards.
final class MalformedRequestTests: TestServerCase {
    func expect(_ raw: [UInt8], status: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let c = try RawClient(port: ts.port)
        c.send(raw)
        let r = try c.readResponse()
        XCTAssertEqual(r.status, status, "for \(String(decoding: raw, as: UTF8.self).debugDescription)", file: file, line: line)
        XCTAssertTrue(c.isClosedByPeer(), "connection not closed", file: file, line: line)
        let ok = try RawClient(port: ts.port)
        ok.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try ok.readResponse().status, 200, file: file, line: line)
    }

    func expect(_ raw: String, status: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        try expect(Array(raw.utf8), status: status, file: file, line: line)
    }

    /// skopeo and podman try HTTPS first: a ClientHello on the plain port must be refused at
    /// once (400), not after the header timeout (408), so they fall back to HTTP quickly.
    func testTLSClientHelloOnPlainPortIsRefusedAtOnce() throws {
        let clientHello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03] + Array(repeating: 0x41, count: 64)
        try expect(clientHello, status: 400)
        try expect("G\u{0}T / HTTP/1.1", status: 400)
        try expect(String(repeating: "A", count: 40), status: 400)
    }

    func testContentLengthWithTransferEncoding() throws {
        try expect("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400)
    }

    func testDifferingDuplicateContentLength() throws {
        try expect("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef", status: 400)
        try expect("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nabcdef", status: 400)
    }

    func testInvalidContentLengths() throws {
        for cl in ["-1", "abc", "1e3", "+5", "99999999999999999999", "9223372036854775808", " "] {
            try expect("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(cl)\r\n\r\n", status: 400)
        }
    }

    func testUnknownTransferCoding() throws {
        try expect("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501)
        try expect("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", status: 400)
        try expect("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", status: 501)
    }

    func testInvalidChunkSizes() throws {
        try expect("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", status: 400)
        try expect("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nab\r\n0\r\n\r\n", status: 400)
        try expect("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nab\r\n0\r\n\r\n", status: 400)
        try expect("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n", status: 400)
    }

    func testHeaderShapes() throws {
        try expect("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n", status: 400)
        try expect("GET /hello HTTP/1.1\r\nHost: x\r\nX-A : a\r\n\r\n", status: 400)
        try expect("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", status: 400)
        try expect(Array("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: a".utf8) + [0] + Array("b\r\n\r\n".utf8), status: 400)
        try expect("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: a\nX-B: b\r\n\r\n", status: 400)
        try expect("GET /hello HTTP/1.1\r\n\r\n", status: 400)
        try expect("GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400)
    }

    func testRequestLineShapes() throws {
        try expect("GET  /hello HTTP/1.1\r\nHost: x\r\n\r\n", status: 400)
        try expect("GET /hello HTTP/1.1 extra\r\nHost: x\r\n\r\n", status: 400)
        try expect("GET /hello\r\nHost: x\r\n\r\n", status: 400)
        try expect("GET /hello HTTP/2.0\r\nHost: x\r\n\r\n", status: 505)
        try expect("G(T /hello HTTP/1.1\r\nHost: x\r\n\r\n", status: 400)
        try expect("GET hello HTTP/1.1\r\nHost: x\r\n\r\n", status: 400)
    }

    func testNonUTF8BytesNeverCrash() throws {
        try expect(Array("GET /h".utf8) + [0xff, 0xfe] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8), status: 400)
        try expect(Array("GET /hello HTTP/1.1\r\nHost: x\r\nX-A: ".utf8) + [0xc3, 0x28] + Array("\r\n\r\n".utf8), status: 400)
        // Valid UTF-8 in a field value passes through.
        let c = try RawClient(port: ts.port)
        c.send("GET /headers HTTP/1.1\r\nHost: x\r\nX-Name: café\r\n\r\n")
        XCTAssertTrue(try c.readResponse().text.contains("X-Name=café"))
    }

    func testGarbageNeverCrashes() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let c = try RawClient(port: ts.port, timeout: 2)
            c.send((0..<Int.random(in: 1...3000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) } + [13, 10, 13, 10])
            _ = c.readSome()
        }
        let ok = try RawClient(port: ts.port)
        ok.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try ok.readResponse().status, 200)
    }
}
