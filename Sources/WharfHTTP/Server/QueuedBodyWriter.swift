import Foundation

/// Why a streamed response could not be written.
public enum ResponseWriteError: Error, Sendable {
    /// The connection closed before the body was sent.
    case connectionClosed
    /// The producer wrote more bytes than the declared length.
    case lengthExceeded
}

/// The ``BodyWriter`` of a streamed response, for every codec: checks the declared length,
/// hands each chunk to the codec on the connection's queue, and suspends the producer
/// while the codec reports its output above `limits.bufferSize` (bounded memory whatever
/// the producer's pace). The codec resumes it with ``resumeIfWaiting()`` once the output
/// drains, and fails it with ``close()`` when the stream or connection goes away.
///
/// ```swift
/// let writer = QueuedBodyWriter(queue: context.queue, declaredLength: length) { [weak self] data in
///     self?.writeBody(data)          // true: above the threshold, the producer waits
/// }
/// ```
final class QueuedBodyWriter: BodyWriter, @unchecked Sendable {
    /// Hands `data` to the codec (called on the queue): true when its output is now above
    /// the threshold, false when the producer may go on, nil when the stream is gone.
    typealias Send = (Data) -> Bool?

    private let queue: DispatchQueue
    private let send: Send
    /// The length the response declared, if any.
    let declaredLength: Int64?
    /// Bytes accepted so far.
    private(set) var written: Int64 = 0
    private var waiter: CheckedContinuation<Void, Error>?
    private var closed = false

    init(queue: DispatchQueue, declaredLength: Int64?, send: @escaping Send) {
        self.queue = queue
        self.declaredLength = declaredLength
        self.send = send
    }

    /// True while the producer is suspended (the connection's idle checks read it).
    var isWaiting: Bool { waiter != nil }

    func write(_ data: Data) async throws {
        if data.isEmpty { return }
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, Error>) in
            queue.async { self.enqueue(data, cont) }
        }
    }

    private func enqueue(_ data: Data, _ cont: CheckedContinuation<Void, Error>) {
        guard !closed else { cont.resume(throwing: ResponseWriteError.connectionClosed); return }
        if let declaredLength, written + Int64(data.count) > declaredLength {
            cont.resume(throwing: ResponseWriteError.lengthExceeded)
            return
        }
        written += Int64(data.count)
        guard let above = send(data) else { cont.resume(throwing: ResponseWriteError.connectionClosed); return }
        if above { waiter = cont } else { cont.resume() }
    }

    /// The output drained below the threshold (on the queue).
    func resumeIfWaiting() {
        if let w = waiter { waiter = nil; w.resume() }
    }

    /// The stream or connection is gone (on the queue).
    func close() {
        closed = true
        if let w = waiter { waiter = nil; w.resume(throwing: ResponseWriteError.connectionClosed) }
    }
}
