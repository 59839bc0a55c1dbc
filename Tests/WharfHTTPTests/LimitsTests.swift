import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

final class LimitsTests: XCTestCase {
    func makeServer(_ configure: (inout HTTPLimits) -> Void) throws -> TestServer {
        var limits = HTTPLimits()
        configure(&limits)
        return try TestServer(limits: limits)
    }

    func testHeaderBytesLimitAnswers431() async throws {
        let ts = try makeServer { $0.maxHeaderBytes = 1024 }
        let c = try RawClient(port: ts.port)
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 2000))\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 431)
        XCTAssertTrue(c.isClosedByPeer())
        // Without the end of the head ever arriving, too.
        let c2 = try RawClient(port: ts.port)
        c2.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 5000))")
        XCTAssertEqual(try c2.readResponse().status, 431)
        await ts.stop()
    }

    func testHeaderCountLimitAnswers431() async throws {
        let ts = try makeServer { $0.maxHeaderCount = 10 }
        let c = try RawClient(port: ts.port)
        var req = "GET /hello HTTP/1.1\r\nHost: x\r\n"
        for i in 0..<20 { req += "X-H\(i): v\r\n" }
        c.send(req + "\r\n")
        XCTAssertEqual(try c.readResponse().status, 431)
        let ok = try RawClient(port: ts.port)
        ok.send("GET /hello HTTP/1.1\r\nHost: x\r\nA: 1\r\n\r\n")
        XCTAssertEqual(try ok.readResponse().status, 200)
        await ts.stop()
    }

    func testIdleKeepAliveConnectionIsClosed() async throws {
        let ts = try makeServer { $0.idleTimeout = 0.3 }
        let c = try RawClient(port: ts.port)
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 200)
        let start = Date()
        XCTAssertTrue(c.isClosedByPeer())
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        await ts.stop()
    }

    func testSlowHeaderIsCutOffWith408() async throws {
        let ts = try makeServer { $0.headerTimeout = 0.3 }
        let c = try RawClient(port: ts.port)
        c.send("GET /hello HTTP/1.1\r\nHo")
        let start = Date()
        XCTAssertEqual(try c.readResponse().status, 408)
        XCTAssertTrue(c.isClosedByPeer())
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        await ts.stop()
    }

    func testMaxConnectionsAnswers503() async throws {
        let ts = try makeServer { $0.maxConnections = 2; $0.reservedConnections = 0 }
        let a = try RawClient(port: ts.port)
        let b = try RawClient(port: ts.port)
        a.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        b.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try a.readResponse().status, 200)
        XCTAssertEqual(try b.readResponse().status, 200)
        // Both busy (a request head under way): only busy connections make the server refuse.
        a.send("GET /hello HTTP/1.1\r\nHost: x\r\n")
        b.send("GET /hello HTTP/1.1\r\nHost: x\r\n")
        try await Task.sleep(nanoseconds: 100_000_000)
        let c = try RawClient(port: ts.port)
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 503)
        XCTAssertTrue(c.isClosedByPeer())
        // Once a slot frees up, new connections are served again.
        a.send("Connection: close\r\n\r\n")
        _ = try a.readResponse()
        XCTAssertTrue(a.isClosedByPeer())
        a.hangUp()
        try await Task.sleep(nanoseconds: 100_000_000)
        let d = try RawClient(port: ts.port)
        d.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try d.readResponse().status, 200)
        await ts.stop()
    }

    func testAtTheLimitTheOldestIdleConnectionMakesRoom() async throws {
        let ts = try makeServer { $0.maxConnections = 2 }
        let a = try RawClient(port: ts.port)
        a.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try a.readResponse().status, 200)
        try await Task.sleep(nanoseconds: 50_000_000)
        let b = try RawClient(port: ts.port)
        b.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try b.readResponse().status, 200)
        let c = try RawClient(port: ts.port)
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 200)
        // `a` was idle the longest: closed to admit `c`; `b` stays.
        XCTAssertTrue(a.isClosedByPeer())
        b.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try b.readResponse().status, 200)
        await ts.stop()
    }

    func testAllBusyAReservedSlotAnswersOneRequestThenCloses() async throws {
        let ts = try makeServer { $0.maxConnections = 1; $0.reservedConnections = 1 }
        let busy = try RawClient(port: ts.port)
        busy.send("GET /hello HTTP/1.1\r\nHost: x\r\n")
        try await Task.sleep(nanoseconds: 100_000_000)
        let probe = try RawClient(port: ts.port)
        probe.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try probe.readResponse().status, 200)
        XCTAssertTrue(probe.isClosedByPeer())
        busy.send("\r\n")
        XCTAssertEqual(try busy.readResponse().status, 200)
        await ts.stop()
    }

    func testRefusalLogWritesOneLinePerIntervalWithTheCount() {
        var log = RefusalLog(interval: 10)
        let t0 = DispatchTime.now()
        XCTAssertEqual(log.refused(now: t0), 1)
        for i in 1..<1000 { XCTAssertNil(log.refused(now: t0 + Double(i) * 0.005)) }
        XCTAssertEqual(log.refused(now: t0 + 10.5), 1000)
        XCTAssertNil(log.refused(now: t0 + 11))
    }

    func testRouteBodyLimitWithDeclaredLengthAnswers413BeforeReading() async throws {
        let ts = try makeServer { _ in }
        let c = try RawClient(port: ts.port)
        c.send("POST /limited HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 413)
        await ts.stop()
    }

    func testRouteBodyLimitOnChunkedBodyAnswers413() async throws {
        let ts = try makeServer { _ in }
        let c = try RawClient(port: ts.port)
        let chunk = String(repeating: "z", count: 600)
        c.send("POST /limited HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 413)
        // Within the limit works.
        let ok = try RawClient(port: ts.port)
        ok.send("POST /limited HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        XCTAssertEqual(try ok.readResponse().status, 200)
        await ts.stop()
    }

    func testDefaultMaxBodySize() async throws {
        let ts = try makeServer { $0.defaultMaxBodySize = 100 }
        let c = try RawClient(port: ts.port)
        c.send("POST /hash HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + String(repeating: "q", count: 101))
        XCTAssertEqual(try c.readResponse().status, 413)
        await ts.stop()
    }

    func testStalledBodyHitsIOTimeout() async throws {
        let ts = try makeServer { $0.ioTimeout = 0.3 }
        let c = try RawClient(port: ts.port)
        c.send("POST /hash HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        let start = Date()
        XCTAssertTrue(c.isClosedByPeer())
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        await ts.stop()
    }

    func testBackpressureStopsReadingForSlowHandler() async throws {
        let ts = try makeServer { $0.bufferSize = 64 * 1024 }
        let c = try RawClient(port: ts.port)
        let size = 4 << 20
        c.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
        c.send([UInt8](repeating: 1, count: size))
        XCTAssertEqual(try c.readResponse().text, "\(size)")
        await ts.stop()
    }
}
