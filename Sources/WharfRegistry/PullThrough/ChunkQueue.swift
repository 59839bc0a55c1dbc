import Foundation

/// A bounded queue of body chunks from one producer (an upstream fill) to one consumer (a
/// client's response). The producer waits while the queue is full, so memory per client
/// stays at `capacity` chunks; a consumer that goes away cancels its queue, and pushes to a
/// cancelled queue return at once, so the fill goes on for everyone else.
final class ChunkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private let capacity: Int
    private var buffer: [Data] = []
    private var end: Result<Void, Error>?
    private var cancelled = false
    private var pushWaiter: CheckedContinuation<Void, Never>?
    private var popWaiter: CheckedContinuation<Data?, Error>?

    init(capacity: Int = 16) { self.capacity = max(1, capacity) }

    /// Queues `chunk`, waiting while the queue is full (returns at once once cancelled).
    func push(_ chunk: Data) async {
        let waiter: CheckedContinuation<Data?, Error>? = lock.withLock {
            if cancelled { return nil }
            if let w = popWaiter { popWaiter = nil; return w }
            buffer.append(chunk)
            return nil
        }
        if let waiter { waiter.resume(returning: chunk); return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let full = lock.withLock { () -> Bool in
                guard !cancelled, buffer.count >= capacity else { return false }
                pushWaiter = c
                return true
            }
            if !full { c.resume() }
        }
    }

    /// Ends the stream: the consumer sees the end (nil) or `error` after the queued chunks.
    func finish(_ error: Error? = nil) {
        let waiter: CheckedContinuation<Data?, Error>? = lock.withLock {
            if end == nil { end = error.map { .failure($0) } ?? .success(()) }
            guard buffer.isEmpty, let w = popWaiter else { return nil }
            popWaiter = nil
            return w
        }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    /// The consumer is gone: drops what is queued and releases the producer.
    func cancel() {
        let waiter = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            cancelled = true
            buffer.removeAll()
            defer { pushWaiter = nil }
            return pushWaiter
        }
        waiter?.resume()
    }

    /// The next chunk; nil at the end; throws the producer's error.
    func pop() async throws -> Data? {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Data?, Error>) in
            enum Next { case chunk(Data, CheckedContinuation<Void, Never>?), end(Result<Void, Error>), wait }
            let next: Next = lock.withLock {
                if !buffer.isEmpty {
                    let chunk = buffer.removeFirst()
                    defer { pushWaiter = nil }
                    return .chunk(chunk, pushWaiter)
                }
                if let end { return .end(end) }
                popWaiter = c
                return .wait
            }
            switch next {
            case .chunk(let chunk, let producer):
                producer?.resume()
                c.resume(returning: chunk)
            case .end(.success):
                c.resume(returning: nil)
            case .end(.failure(let error)):
                c.resume(throwing: error)
            case .wait:
                break
            }
        }
    }
}
