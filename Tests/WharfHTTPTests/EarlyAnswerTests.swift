import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

final class EarlyAnswerTests: XCTestCase {
    var ts: TestServer!
    override func setUp() async throws {
        var limits = HTTPLimits()
        limits.drainLimit = 64 * 1024
        ts = try TestServer(limits: limits)
    }
    override func tearDown() async throws { await ts.stop() }

    func testSmallUnreadBodyIsDrainedAndConnectionKept() throws {
        let c = try RawClient(port: ts.port)
        c.send("POST /early401 HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n" + String(repeating: "a", count: 10000))
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 401)
        XCTAssertNil(r.header("Connection"))
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().text, "hello\n")
    }

    func testClientSendingWholeLargeBodyFirstStillGetsAnswer() throws {
        let c = try RawClient(port: ts.port)
        let size = 8 << 20
        c.send("POST /early401 HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
        // Write the whole body before reading anything, as naive clients do.
        let body = [UInt8](repeating: 98, count: size)
        _ = c.send(body)
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(r.header("Connection"), "close")
    }

    func testCurlUploadToEarlyAnswer() throws {
        let file = try makeScratchFile(Data(count: 20 << 20), prefix: "early")
        let (_, out, err) = try runCurl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect:", "-T", file.path,
                                         "http://127.0.0.1:\(ts.port)/early401"])
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "401", err)
    }

    func testPipelinedRequestAfterUnreadBodyIsAnswered() throws {
        let c = try RawClient(port: ts.port)
        c.send("POST /early401 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 401)
        XCTAssertEqual(try c.readResponse().text, "hello\n")
    }

    func testStreamingEchoReadsWhileResponding() throws {
        let c = try RawClient(port: ts.port)
        let size = 3 << 20
        c.send("POST /echo-stream HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
        let payload = [UInt8](GeneratedContent.bytes(size))
        // Send from another thread while this one reads the echo: neither side may deadlock.
        let sender = Thread { c.send(payload) }
        sender.start()
        let r = try c.readResponse()
        XCTAssertEqual(r.body.count, size)
        XCTAssertTrue(r.body == payload)
    }

    func testChunkedUnreadBodyDrained() throws {
        let c = try RawClient(port: ts.port)
        c.send("POST /early401 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 401)
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().text, "hello\n")
    }
}
