import Foundation

/// Why a streamed response could not be written.
public enum ResponseWriteError: Error, Sendable {
    /// The connection closed before the body was sent.
    case connectionClosed
    /// The producer wrote more bytes than the declared length.
    case lengthExceeded
}

/// The ``BodyWriter`` of a streamed HTTP/1.1 response: frames chunks when the length is
/// unknown and suspends the producer while the connection's send queue is above
/// `limits.bufferSize`.
final class HTTP1BodyWriter: BodyWriter, @unchecked Sendable {
    private let queue: DispatchQueue
    private weak var codec: HTTP1Codec?
    let chunked: Bool
    let declaredLength: Int64?
    private(set) var written: Int64 = 0
    private var waiter: CheckedContinuation<Void, Error>?
    private var closed = false

    init(queue: DispatchQueue, codec: HTTP1Codec, chunked: Bool, declaredLength: Int64?) {
        self.queue = queue
        self.codec = codec
        self.chunked = chunked
        self.declaredLength = declaredLength
    }

    var isWaiting: Bool { waiter != nil }

    func write(_ data: Data) async throws {
        if data.isEmpty { return }
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, Error>) in
            queue.async { self.enqueue(data, cont) }
        }
    }

    private func enqueue(_ data: Data, _ cont: CheckedContinuation<Void, Error>) {
        guard !closed, let codec else { cont.resume(throwing: ResponseWriteError.connectionClosed); return }
        if let declaredLength, written + Int64(data.count) > declaredLength {
            cont.resume(throwing: ResponseWriteError.lengthExceeded)
            return
        }
        written += Int64(data.count)
        let above = codec.writeBody(data, chunked: chunked)
        if above { waiter = cont } else { cont.resume() }
    }

    /// The send queue drained below the threshold (on the queue).
    func resumeIfWaiting() {
        if let w = waiter { waiter = nil; w.resume() }
    }

    /// The connection is gone (on the queue).
    func close() {
        closed = true
        if let w = waiter { waiter = nil; w.resume(throwing: ResponseWriteError.connectionClosed) }
    }
}
