import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

final class ListenerTests: XCTestCase {
    func testIPv6LoopbackBind() async throws {
        let ts: TestServer
        do { ts = try TestServer(host: "::1") } catch { throw XCTSkip("no IPv6 loopback here: \(error)") }
        let (status, out, err) = try runCurl(["-g", "http://[::1]:\(ts.port)/hello"])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "hello\n")
        await ts.stop()
    }

    func testWildcardBindServesIPv4() async throws {
        let ts = try TestServer(host: "")
        let c = try RawClient(port: ts.port)
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 200)
        await ts.stop()
    }

    func testPortInUseFailsStart() async throws {
        let ts = try TestServer()
        let second = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: ts.port),
                                logger: Logger(level: .error), handler: { _ in .text(200, "") })
        XCTAssertThrowsError(try second.start())
        await ts.stop()
    }

    func testRemoteAddressIsReported() async throws {
        let ts = try TestServer()
        let c = try RawClient(port: ts.port)
        c.send("GET /headers HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 200)
        await ts.stop()
    }
}
