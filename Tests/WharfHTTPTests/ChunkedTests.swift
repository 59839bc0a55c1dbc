import Foundation
import WharfCrypto
@testable import WharfHTTP
import WharfTestSupport
import XCTest

final class ChunkedTests: TestServerCase {
    func testChunkedRequestWithExtensionsAndTrailers() throws {
        let c = try RawClient(port: ts.port)
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Checksum: 1\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.text, "hello 0123456789")
        // The connection stays usable after the trailer section.
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().text, "hello\n")
    }

    func testStreamedResponseWithoutLengthIsChunked() throws {
        let c = try RawClient(port: ts.port)
        c.send("GET /stream?n=200000 HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.header("Transfer-Encoding"), "chunked")
        XCTAssertNil(r.header("Content-Length"))
        XCTAssertEqual(Data(r.body), GeneratedContent.bytes(200_000))
    }

    func testStreamedResponseWithLengthIsSized() throws {
        let c = try RawClient(port: ts.port)
        c.send("GET /stream?n=100000&sized=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.header("Content-Length"), "100000")
        XCTAssertEqual(Data(r.body), GeneratedContent.bytes(100_000))
    }

    func testHTTP10StreamEndsWithClose() throws {
        let c = try RawClient(port: ts.port)
        c.send("GET /stream?n=5000 HTTP/1.0\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertNil(r.header("Transfer-Encoding"))
        XCTAssertEqual(Data(r.body), GeneratedContent.bytes(5000))
    }

    func testCurlChunkedUploadAndDownload() throws {
        let url = "http://127.0.0.1:\(ts.port)"
        let payload = GeneratedContent.bytes(1_000_000)
        let file = try makeScratchFile(payload, prefix: "chunked")
        let (status, out, err) = try runCurl(["-H", "Transfer-Encoding: chunked", "--data-binary", "@\(file.path)", "\(url)/hash"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "1000000 \(DigestHasher.hex(payload))")
        let (s2, out2, err2) = try runCurl(["\(url)/stream?n=777777"])
        XCTAssertEqual(s2, 0, err2)
        XCTAssertEqual(out2, GeneratedContent.bytes(777_777))
    }
}
