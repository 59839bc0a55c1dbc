import Foundation
import WharfCrypto
@testable import WharfHTTP
import WharfTestSupport
import XCTest

/// Request bodies of known length are read from the socket in ``BodyBufferPool``-sized
/// chunks straight into the buffers the handler gets (large reads, no copy), intact.
final class BodyReadTests: XCTestCase {
    /// What the handler saw: the body's digest and its largest chunk.
    final class Seen: @unchecked Sendable {
        let lock = NSLock()
        var digest = ""
        var largestChunk = 0
        var bytes = 0
    }

    func startServer(_ seen: Seen, waitBeforeReading: Double) throws -> HTTPServer {
        let router = Router()
        router.add("PUT", "/body") { req in
            // Let the client's bytes pile up in the socket, as when the disk is the slower side.
            try? await Task.sleep(nanoseconds: UInt64(waitBeforeReading * 1e9))
            let hasher = DigestHasher()
            var largest = 0, total = 0
            while let chunk = try await req.body.next() {
                hasher.update(chunk)
                largest = max(largest, chunk.count)
                total += chunk.count
            }
            let hex = hasher.finalizeHex()
            seen.lock.withLock { seen.digest = hex; seen.largestChunk = largest; seen.bytes = total }
            return .text(200, hex)
        }
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, tls: nil, limits: HTTPLimits()),
                                logger: Logger(level: .error), handler: router.handle)
        try server.start()
        return server
    }

    func testLargeBodyArrivesInChunksLargerThanTheSocketReadBuffer() async throws {
        let seen = Seen()
        let server = try startServer(seen, waitBeforeReading: 0.3)
        let body = GeneratedContent.bytes(8 << 20)
        let client = try RawClient(port: server.localPort, timeout: 30)
        let sender = Thread {
            client.send("PUT /body HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
            client.send([UInt8](body))
        }
        sender.start()
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        let expected = DigestHasher()
        expected.update(body)
        let hex = expected.finalizeHex()
        seen.lock.withLock {
            XCTAssertEqual(seen.digest, hex)
            XCTAssertEqual(seen.bytes, body.count)
            // The connection's own read buffer is 64 KiB: bigger chunks came from the pool.
            XCTAssertGreaterThan(seen.largestChunk, 64 * 1024)
            XCTAssertLessThanOrEqual(seen.largestChunk, BodyBufferPool.shared.bufferSize)
        }
        await server.shutdown(gracePeriod: 2)
    }

    func testBodyThatStartsInTheHeadReadAndPipelinedRequestsStayIntact() async throws {
        let seen = Seen()
        let server = try startServer(seen, waitBeforeReading: 0)
        let client = try RawClient(port: server.localPort, timeout: 30)
        let first = GeneratedContent.bytes(700_000)
        let second = GeneratedContent.bytes(1000, offset: 3)
        // Both requests in one send: the first body starts in the head's read, the second
        // head follows the first body in the same stream.
        var request = Array("PUT /body HTTP/1.1\r\nHost: x\r\nContent-Length: \(first.count)\r\n\r\n".utf8) + [UInt8](first)
        request += Array("PUT /body HTTP/1.1\r\nHost: x\r\nContent-Length: \(second.count)\r\n\r\n".utf8) + [UInt8](second)
        let bytes = request
        let sender = Thread { client.send(bytes) }
        sender.start()
        for data in [first, second] {
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 200)
            let h = DigestHasher()
            h.update(data)
            XCTAssertEqual(String(decoding: response.body, as: UTF8.self), h.finalizeHex())
        }
        await server.shutdown(gracePeriod: 2)
    }

    func testPoolReusesBuffersAndKeepsAtMostMaxFree() {
        let pool = BodyBufferPool(bufferSize: 4096, maxFree: 2)
        let a = pool.take()!, b = pool.take()!, c = pool.take()!
        pool.give(a)
        pool.give(b)
        pool.give(c) // beyond maxFree: freed
        XCTAssertEqual(pool.idleCount, 2)
        let again = pool.take()!
        XCTAssertTrue(again == b || again == a)
        // Data over a pool buffer returns it when released.
        var data: Data? = pool.data(again, count: 1000)
        withExtendedLifetime(data) {
            XCTAssertEqual(data?.count, 1000)
            XCTAssertEqual(pool.idleCount, 1)
        }
        data = nil
        XCTAssertEqual(pool.idleCount, 2)
    }
}
