import Foundation

/// The ``BodyWriter`` of a streamed HTTP/2 response: queues bytes on the stream and
/// suspends the producer while more than `limits.bufferSize` bytes wait there (for the
/// peer's flow-control window or the socket).
final class HTTP2BodyWriter: BodyWriter, @unchecked Sendable {
    private let queue: DispatchQueue
    private weak var codec: HTTP2Codec?
    private let streamID: UInt32
    let declaredLength: Int64?
    private(set) var written: Int64 = 0
    private var waiter: CheckedContinuation<Void, Error>?
    private var closed = false

    init(queue: DispatchQueue, codec: HTTP2Codec, streamID: UInt32, declaredLength: Int64?) {
        self.queue = queue
        self.codec = codec
        self.streamID = streamID
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
        guard let full = codec.writeBody(streamID, data) else {
            cont.resume(throwing: ResponseWriteError.connectionClosed)
            return
        }
        if full { waiter = cont } else { cont.resume() }
    }

    /// The stream's queue drained below the threshold (on the queue).
    func resumeIfWaiting() {
        if let w = waiter { waiter = nil; w.resume() }
    }

    /// The stream or connection is gone (on the queue).
    func close() {
        closed = true
        if let w = waiter { waiter = nil; w.resume(throwing: ResponseWriteError.connectionClosed) }
    }
}
