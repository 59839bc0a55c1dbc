import Foundation

/// Admits at most `maxRunning` holders at once; further callers wait in a FIFO queue of
/// at most `maxInQueue` for up to `maxWaitInQueue` seconds. The OpenShift registry's
/// `openshift.requests.*` semantics: a full queue or an expired wait is a refusal.
///
/// ```swift
/// let limiter = RequestLimiter(maxRunning: 8, maxInQueue: 32, maxWaitInQueue: 10)
/// guard await limiter.acquire() else { return tooManyRequests }
/// defer { limiter.release() }
/// ```
public final class RequestLimiter: @unchecked Sendable {
    /// Holders admitted at once (at least 1).
    public let maxRunning: Int
    /// Callers that may wait (0: none; refused at once when all slots are taken).
    public let maxInQueue: Int
    /// Seconds a caller may wait; 0: no deadline.
    public let maxWaitInQueue: Double

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Bool, Never>
    }

    private let lock = NSLock()
    private var running = 0
    private var queue: [Waiter] = []
    private var nextID: UInt64 = 0

    /// A limiter; `maxRunning` below 1 is taken as 1.
    public init(maxRunning: Int, maxInQueue: Int, maxWaitInQueue: Double) {
        self.maxRunning = max(1, maxRunning)
        self.maxInQueue = max(0, maxInQueue)
        self.maxWaitInQueue = max(0, maxWaitInQueue)
    }

    /// True when admitted (call ``release()`` exactly once afterwards); false when the
    /// queue is full or the wait expired.
    public func acquire() async -> Bool {
        // Admission, refusal and enqueueing are one locked step: deciding "there is room
        // in the queue" and taking that room apart would let concurrent arrivals overfill it.
        enum Decision { case admitted, refused, queued(UInt64) }
        return await withCheckedContinuation { continuation in
            let decision: Decision = lock.withLock {
                if running < maxRunning && queue.isEmpty {
                    running += 1
                    return .admitted
                }
                if queue.count >= maxInQueue { return .refused }
                nextID &+= 1
                queue.append(Waiter(id: nextID, continuation: continuation))
                return .queued(nextID)
            }
            switch decision {
            case .admitted: continuation.resume(returning: true)
            case .refused: continuation.resume(returning: false)
            case .queued(let id):
                if maxWaitInQueue > 0 {
                    DispatchQueue.global().asyncAfter(deadline: .now() + maxWaitInQueue) { [weak self] in
                        self?.expire(id)
                    }
                }
            }
        }
    }

    /// Gives the slot to the longest waiting caller, or frees it.
    public func release() {
        let next: Waiter? = lock.withLock {
            if !queue.isEmpty { return queue.removeFirst() }
            running = max(0, running - 1)
            return nil
        }
        next?.continuation.resume(returning: true)
    }

    /// Holders and waiters right now (for tests and debugging).
    public var counts: (running: Int, queued: Int) {
        lock.withLock { (running, queue.count) }
    }

    private func expire(_ id: UInt64) {
        let waiter: Waiter? = lock.withLock {
            guard let index = queue.firstIndex(where: { $0.id == id }) else { return nil }
            return queue.remove(at: index)
        }
        waiter?.continuation.resume(returning: false)
    }
}

/// Limits concurrent requests: GET, HEAD and OPTIONS go through the read limiter, every
/// other method through the write limiter (nil: unlimited). Refused requests get 429
/// `Too many requests, please try again later.` with `Retry-After: 1`, and their body
/// is never read. A slot is held while the handler runs. Requests `exempt` picks (health
/// probes, metrics scrapes: the matched route says) are never limited, so load never
/// fails a liveness probe.
public struct RequestLimiterMiddleware: HTTPMiddleware {
    /// Limits GET, HEAD and OPTIONS; nil: unlimited.
    public let read: RequestLimiter?
    /// Limits every other method; nil: unlimited.
    public let write: RequestLimiter?
    /// True for requests that bypass the limits; nil: none do.
    public let exempt: (@Sendable (HTTPRequest) -> Bool)?

    /// A middleware with these limiters.
    public init(read: RequestLimiter?, write: RequestLimiter?, exempt: (@Sendable (HTTPRequest) -> Bool)? = nil) {
        self.read = read
        self.write = write
        self.exempt = exempt
    }

    /// True for the methods counted as reads.
    public static func isRead(_ method: String) -> Bool {
        method == "GET" || method == "HEAD" || method == "OPTIONS"
    }

    /// Waits for a slot of the request's class, then calls `next`; 429 when refused.
    public func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
        guard let limiter = Self.isRead(request.method) ? read : write, exempt?(request) != true else {
            return try await next(request)
        }
        guard await limiter.acquire() else {
            var response = HTTPResponse.text(429, "Too many requests, please try again later.\n")
            response.headers.set("Retry-After", "1")
            return response
        }
        defer { limiter.release() }
        return try await next(request)
    }
}
