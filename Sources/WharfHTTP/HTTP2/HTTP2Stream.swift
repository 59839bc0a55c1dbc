import Foundation

/// One request/response stream of an HTTP/2 connection (RFC 9113 §5.1), from the
/// request HEADERS until both sides have ended it or it is reset. Lives on the connection queue.
final class HTTP2Stream {
    let id: UInt32
    /// The request body as the handler reads it.
    let source: HTTP1BodySource
    var method = ""
    var path = ""
    /// The client ended its side (END_STREAM received).
    var remoteEnded = false
    /// We ended our side (END_STREAM queued).
    var localEnded = false
    /// Request body bytes the client may still send before our next WINDOW_UPDATE.
    var receiveWindow: Int
    /// Request body bytes appended to ``source`` so far.
    var appended: Int64 = 0
    /// Of those, bytes already returned to the client's stream window.
    var credited: Int64 = 0
    /// Consumed bytes not yet announced to the client in a WINDOW_UPDATE.
    var creditPending = 0
    /// `content-length` of the request, if given (checked against the DATA received).
    var declaredLength: Int64?
    var receivedBytes: Int64 = 0
    /// Response bytes the peer allows us to send on this stream.
    var sendWindow: Int
    /// The handler answered; request body bytes arriving now are dropped.
    var discarding = false
    var responseStarted = false
    /// The request carried `expect: 100-continue` and no interim response was sent yet.
    var expectContinue = false
    /// Response body bytes waiting for flow-control window.
    var pending: [Data] = []
    var pendingOffset = 0
    var pendingBytes = 0
    /// A file body waiting to be sent: descriptor owner, next offset, bytes left.
    var pendingFile: (region: FileRegion, offset: Int64, remaining: Int64)?
    /// Send END_STREAM once everything pending is sent.
    var endAfterPending = false
    var writer: QueuedBodyWriter?
    var lastProgress = DispatchTime.now()
    /// The response's status, timing and bytes, reported as the request's outcome when the
    /// stream closes; nil for streams refused before a request was made (431, 414).
    var progress: ResponseProgress?

    init(id: UInt32, queue: DispatchQueue, receiveWindow: Int, sendWindow: Int) {
        self.id = id
        source = HTTP1BodySource(queue: queue)
        self.receiveWindow = receiveWindow
        self.sendWindow = sendWindow
    }

    /// Response bytes queued here, files included.
    var outputBytes: Int64 { Int64(pendingBytes) + (pendingFile?.remaining ?? 0) }

    /// There is a DATA frame to send (bytes, or a final empty frame).
    var hasOutput: Bool { !localEnded && (outputBytes > 0 || endAfterPending) }

    /// Takes up to `count` pending bytes (memory first, then the file).
    func takeOutput(_ count: Int) throws -> Data {
        if pendingBytes > 0 {
            var out = Data()
            out.reserveCapacity(min(count, pendingBytes))
            while out.count < count, !pending.isEmpty {
                let first = pending[0]
                let available = first.count - pendingOffset
                let n = min(available, count - out.count)
                let start = first.startIndex + pendingOffset
                out.append(first[start..<(start + n)])
                if n == available {
                    pending.removeFirst()
                    pendingOffset = 0
                } else {
                    pendingOffset += n
                }
            }
            pendingBytes -= out.count
            return out
        }
        guard let file = pendingFile else { return Data() }
        let n = Int(min(Int64(count), file.remaining))
        var out = Data(count: n)
        var got = 0
        while got < n {
            let r = out.withUnsafeMutableBytes { pread(file.region.descriptor, $0.baseAddress! + got, n - got, off_t(file.offset) + off_t(got)) }
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { throw ResponseWriteError.connectionClosed }
            got += r
        }
        pendingFile = file.remaining - Int64(n) > 0 ? (file.region, file.offset + Int64(n), file.remaining - Int64(n)) : nil
        return out
    }
}
