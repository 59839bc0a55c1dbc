import Foundation
import XCTest
@testable import WharfHTTP

/// The `openshift.requests.*` limiter: admission, FIFO hand-over, full queue, expiry.
final class RequestLimiterTests: XCTestCase {
    func testAdmitsUpToMaxRunningThenRefusesWithoutQueue() async {
        let limiter = RequestLimiter(maxRunning: 2, maxInQueue: 0, maxWaitInQueue: 0)
        let first = await limiter.acquire()
        let second = await limiter.acquire()
        let third = await limiter.acquire()
        XCTAssertTrue(first)
        XCTAssertTrue(second)
        XCTAssertFalse(third)
        limiter.release()
        let fourth = await limiter.acquire()
        XCTAssertTrue(fourth)
        XCTAssertEqual(limiter.counts.running, 2)
    }

    func testWaitExpires() async {
        let limiter = RequestLimiter(maxRunning: 1, maxInQueue: 1, maxWaitInQueue: 0.1)
        _ = await limiter.acquire()
        let start = Date()
        let admitted = await limiter.acquire()
        XCTAssertFalse(admitted)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.09)
        XCTAssertEqual(limiter.counts.queued, 0)
    }

    func testReleaseHandsTheSlotToWaitersInOrder() async {
        let limiter = RequestLimiter(maxRunning: 1, maxInQueue: 3, maxWaitInQueue: 0)
        _ = await limiter.acquire()
        let order = OrderLog()
        var tasks: [Task<Bool, Never>] = []
        for i in 0..<3 {
            tasks.append(Task {
                let ok = await limiter.acquire()
                order.append(i)
                return ok
            })
            while limiter.counts.queued < i + 1 { try? await Task.sleep(nanoseconds: 1_000_000) }
        }
        let refused = await limiter.acquire()
        XCTAssertFalse(refused, "queue of 3 is full")
        for _ in 0..<3 {
            limiter.release()
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        for t in tasks { let ok = await t.value; XCTAssertTrue(ok) }
        XCTAssertEqual(order.values, [0, 1, 2])
        limiter.release()
        XCTAssertEqual(limiter.counts.running, 0)
    }

    /// Many callers arriving at once while the slot is held: the queue never holds more
    /// than `maxInQueue`, although deciding and enqueueing are two locked steps.
    func testConcurrentArrivalsNeverOverfillTheQueue() async {
        for _ in 0..<50 {
            let limiter = RequestLimiter(maxRunning: 1, maxInQueue: 1, maxWaitInQueue: 0)
            _ = await limiter.acquire()
            let refused = OrderLog()
            let callers = 64
            var tasks: [Task<Bool, Never>] = []
            for i in 0..<callers {
                tasks.append(Task.detached {
                    let ok = await limiter.acquire()
                    if !ok { refused.append(i) }
                    return ok
                })
            }
            while refused.values.count + limiter.counts.queued < callers {
                try? await Task.sleep(nanoseconds: 1_000_000)
            }
            XCTAssertEqual(limiter.counts.queued, 1)
            XCTAssertEqual(refused.values.count, callers - 1)
            for _ in 0..<limiter.counts.queued + 1 { limiter.release() }
            for t in tasks { _ = await t.value }
        }
    }

    func testMiddlewareAnswers429WithRetryAfter() async throws {
        let m = RequestLimiterMiddleware(read: nil, write: RequestLimiter(maxRunning: 1, maxInQueue: 0, maxWaitInQueue: 0))
        XCTAssertTrue(RequestLimiterMiddleware.isRead("HEAD"))
        XCTAssertFalse(RequestLimiterMiddleware.isRead("PATCH"))
        _ = await m.write!.acquire()
        let refused = try await m.respond(to: HTTPRequest(method: "PUT", target: "/v2/x"), next: { _ in .text(200, "ok") })
        XCTAssertEqual(refused.status, 429)
        XCTAssertEqual(refused.headers["Retry-After"], "1")
        let read = try await m.respond(to: HTTPRequest(method: "GET", target: "/v2/"), next: { _ in .text(200, "ok") })
        XCTAssertEqual(read.status, 200)
    }

    func testExemptPathsBypassAFullLimiter() async throws {
        let read = RequestLimiter(maxRunning: 1, maxInQueue: 0, maxWaitInQueue: 0)
        let m = RequestLimiterMiddleware(read: read, write: nil, exempt: { $0.path == "/healthz" })
        _ = await read.acquire()
        let probe = try await m.respond(to: HTTPRequest(method: "GET", target: "/healthz"), next: { _ in .text(200, "ok") })
        XCTAssertEqual(probe.status, 200)
        let other = try await m.respond(to: HTTPRequest(method: "GET", target: "/v2/"), next: { _ in .text(200, "ok") })
        XCTAssertEqual(other.status, 429)
    }

    final class OrderLog: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Int] = []
        func append(_ i: Int) { lock.withLock { items.append(i) } }
        var values: [Int] { lock.withLock { items } }
    }
}
