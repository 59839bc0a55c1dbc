import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

/// Connections on the epoll loops: readiness is edge-triggered, so every way bytes can
/// arrive must still be read (dribbled, in one burst over the read budget, while the
/// handler is busy), and closing connections must never disturb the others of a loop.
final class EventLoopTests: TestServerCase {
    func testThereIsALoopPerCore() {
        XCTAssertEqual(EventLoop.shared.count, max(1, ProcessInfo.processInfo.activeProcessorCount))
    }

    /// A request sent a few bytes at a time: each arrival is a new edge.
    func testDribbledRequestIsRead() throws {
        let c = try RawClient(port: ts.port)
        for b in Array("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".utf8).chunked(3) {
            XCTAssertTrue(c.send(b))
            usleep(2000)
        }
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.text, "hello\n")
    }

    /// 64 pipelined requests (over 1 MiB of bodies) sent at once. The connection stops
    /// reading while an answer is due and the bytes wait in the socket with no new edge to
    /// come: reading must resume by itself each time (fails with a timeout otherwise).
    func testPipelinedBurstIsAllAnswered() throws {
        let c = try RawClient(port: ts.port)
        var burst: [UInt8] = []
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 20_000)
        for i in 0..<64 {
            burst += Array("POST /echo HTTP/1.1\r\nHost: x\r\nX-N: \(i)\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
            burst += body
        }
        let all = burst
        let sender = Thread { _ = c.send(all) }
        sender.start()
        for _ in 0..<64 {
            let r = try c.readResponse()
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.body.count, body.count)
        }
    }

    /// Many connections at once, spread over the loops; half of them hang up mid-way with
    /// a request unanswered. The others are all served.
    func testManyConnectionsAndHangUps() throws {
        let group = DispatchGroup()
        let failures = FailureLog()
        for i in 0..<96 {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let c = try RawClient(port: self.ts.port)
                    for k in 0..<10 {
                        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                        if i % 2 == 1, k == 5 { c.hangUp(); return }
                        let r = try c.readResponse()
                        if r.status != 200 || r.text != "hello\n" { failures.add("conn \(i) req \(k): \(r.status)") }
                    }
                } catch {
                    failures.add("conn \(i): \(error)")
                }
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(failures.entries, [])
        // The server still answers after all that.
        let c = try RawClient(port: ts.port)
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().status, 200)
    }
}

private final class FailureLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.withLock { items.append(s) } }
    var entries: [String] { lock.withLock { items } }
}

private extension Array {
    func chunked(_ n: Int) -> [[Element]] {
        stride(from: 0, to: count, by: n).map { Array(self[$0..<Swift.min($0 + n, count)]) }
    }
}
