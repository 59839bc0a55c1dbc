import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

final class GracefulShutdownTests: XCTestCase {
    func testInFlightRequestFinishesAndNewConnectionsAreRefused() async throws {
        let ts = try TestServer()
        let port = ts.port
        let busy = try RawClient(port: port)
        let idle = try RawClient(port: port)
        idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try idle.readResponse().status, 200)
        busy.send("GET /sleep?ms=400 HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(nanoseconds: 100_000_000)
        let shutdown = Task { await ts.server.shutdown(gracePeriod: 5) }
        try await Task.sleep(nanoseconds: 50_000_000)
        // The idle keep-alive connection is closed right away.
        XCTAssertTrue(idle.isClosedByPeer())
        // New connections are refused.
        XCTAssertThrowsError(try RawClient(port: port))
        // The in-flight request still gets its answer, then the connection closes.
        let r = try busy.readResponse()
        XCTAssertEqual(r.text, "slept 400")
        XCTAssertEqual(r.header("Connection"), "close")
        XCTAssertTrue(busy.isClosedByPeer())
        await shutdown.value
        XCTAssertEqual(ts.server.connectionCount, 0)
    }

    func testGracePeriodBoundsTheWait() async throws {
        let ts = try TestServer()
        let busy = try RawClient(port: ts.port)
        busy.send("GET /sleep?ms=10000 HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(nanoseconds: 100_000_000)
        let start = Date()
        await ts.server.shutdown(gracePeriod: 0.3)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        XCTAssertTrue(busy.isClosedByPeer())
        XCTAssertEqual(ts.server.connectionCount, 0)
    }
}
