import Foundation

/// The request body of one HTTP/1.1 exchange as the handler reads it. The codec appends
/// decoded chunks on the connection queue; `next()` hops to that queue. While more than
/// `limits.bufferSize` bytes wait unread, the codec stops reading the socket.
final class HTTP1BodySource: RequestBodySource, @unchecked Sendable {
    private let queue: DispatchQueue
    private var chunks: [Data] = []
    private var head = 0
    /// Bytes received and not yet handed to the handler.
    private(set) var bufferedBytes = 0
    private var ended = false
    private var failure: Error?
    private var waiter: CheckedContinuation<Data?, Error>?
    /// Called on the queue at the handler's first read (100-continue) and after each read.
    var onRead: ((_ first: Bool) -> Void)?
    private var reads = 0

    init(queue: DispatchQueue) { self.queue = queue }

    /// True while the handler waits for bytes the socket has not delivered.
    var isWaiting: Bool { waiter != nil }

    func next() async throws -> Data? {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Data?, Error>) in
            queue.async { self.serve(cont) }
        }
    }

    private func serve(_ cont: CheckedContinuation<Data?, Error>) {
        reads += 1
        if head < chunks.count {
            let d = chunks[head]
            chunks[head] = Data()
            head += 1
            if head == chunks.count { chunks.removeAll(keepingCapacity: true); head = 0 }
            bufferedBytes -= d.count
            cont.resume(returning: d)
        } else if let failure {
            cont.resume(throwing: failure)
        } else if ended {
            cont.resume(returning: nil)
        } else if waiter != nil {
            cont.resume(throwing: RequestBodyError.malformed("concurrent body reads"))
            return
        } else {
            waiter = cont
        }
        onRead?(reads == 1)
    }

    /// Adds decoded body bytes (on the queue).
    func append(_ data: Data) {
        guard !ended, failure == nil, !data.isEmpty else { return }
        if let w = waiter {
            waiter = nil
            w.resume(returning: data)
        } else {
            chunks.append(data)
            bufferedBytes += data.count
        }
    }

    /// The body is complete.
    func finish() {
        ended = true
        if let w = waiter { waiter = nil; w.resume(returning: nil) }
    }

    /// The body cannot complete (peer gone, bad framing, response already sent).
    func fail(_ error: Error) {
        guard failure == nil else { return }
        failure = error
        chunks.removeAll()
        head = 0
        bufferedBytes = 0
        if let w = waiter { waiter = nil; w.resume(throwing: error) }
    }
}
