import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

/// The server reports how each response ended, from what it wrote: the access log and the
/// HTTP metrics are built on this.
final class ResponseOutcomeTests: TestServerCase {
    private func outcome(_ method: String, _ target: String) throws -> ResponseOutcome {
        let deadline = Date().addingTimeInterval(30)  // a bound for a loaded machine, not a timing
        while Date() < deadline {
            if let o = ts.observations.outcomes.first(where: { $0.method == method && $0.target == target }) { return o.outcome }
            Thread.sleep(forTimeInterval: 0.01)
        }
        struct NoOutcome: Error {}
        XCTFail("no outcome for \(method) \(target) within 30 s")
        throw NoOutcome()
    }

    func testCompleteResponsesCountTheirBodyAndHeadCountsNone() throws {
        let c = try RawClient(port: ts.port)
        c.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\nHEAD /file HTTP/1.1\r\nHost: x\r\n\r\nGET /stream?n=200000 HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().body.count, 300_000)
        _ = try c.readResponse(headRequest: true)
        XCTAssertEqual(try c.readResponse().body.count, 200_000)
        let get = try outcome("GET", "/file")
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.bodyBytesWritten, 300_000)
        XCTAssertEqual(get.ending, .complete)
        XCTAssertNotNil(get.headerWrittenAt)
        let head = try outcome("HEAD", "/file")
        XCTAssertEqual(head.bodyBytesWritten, 0)
        XCTAssertEqual(head.ending, .complete)
        let chunked = try outcome("GET", "/stream?n=200000")
        XCTAssertEqual(chunked.bodyBytesWritten, 200_000)
        XCTAssertEqual(chunked.ending, .complete)
    }

    func testAProducerThatFailsMidBodyEndsInError() throws {
        let c = try RawClient(port: ts.port)
        c.send("GET /stream?n=1000000&sized=1&fail=131072 HTTP/1.1\r\nHost: x\r\n\r\n")
        let o = try outcome("GET", "/stream?n=1000000&sized=1&fail=131072")
        XCTAssertEqual(o.status, 200)
        XCTAssertEqual(o.ending, .error)
        XCTAssertLessThanOrEqual(o.bodyBytesWritten, 131_072)
    }

    func testAClientThatLeavesMidBodyIsGoneWithWhatWasWritten() throws {
        let c = try RawClient(port: ts.port)
        c.send("GET /stream?n=64000000&sized=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        var got = 0
        while got < 100_000, let chunk = c.readSome() { got += chunk.count }
        // Leaves after the server has filled the socket buffers (the case CI's loaded machine
        // hit), the way a dying client does: the close resets the connection.
        Thread.sleep(forTimeInterval: 0.5)
        c.abort()
        let o = try outcome("GET", "/stream?n=64000000&sized=1")
        XCTAssertEqual(o.status, 200)
        XCTAssertEqual(o.ending, .clientGone)
        // What the client read, less the head, was written; the socket buffers hold at most some MiB more.
        XCTAssertGreaterThanOrEqual(o.bodyBytesWritten, Int64(got) - 200)
        XCTAssertLessThan(o.bodyBytesWritten, 64_000_000)
    }
}
