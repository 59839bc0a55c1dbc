import Foundation
import WharfHTTP

/// Reads one answer's body off its connection by the head's framing: Content-Length,
/// chunked (WharfHTTP's ``ChunkedDecoder``), or until the peer closes. Length-framed bytes
/// go from the socket straight into the caller's buffer; nothing is read ahead.
struct ResponseBodyReader: Sendable {
    enum Framing: Sendable {
        case length(remaining: Int64)
        case chunked(ChunkedDecoder)
        case untilClose
        case done
    }

    let connection: ClientConnection
    private(set) var framing: Framing
    /// Whether the connection may be pooled once the body is read to the end.
    let keepAlive: Bool

    /// The reader for an answer with `head` to a `method` request.
    /// - Throws: ``HTTPClientError`` `malformedResponse` for an unusable Content-Length.
    init(connection: ClientConnection, head: ResponseHead, method: String) throws {
        self.connection = connection
        let h = head.headers
        if method == "HEAD" || head.status == 204 || head.status == 304 || (100..<200).contains(head.status) {
            framing = .done
            keepAlive = head.keepAlive
        } else if h.values("Transfer-Encoding").joined(separator: ",").lowercased().contains("chunked") {
            framing = .chunked(ChunkedDecoder())
            keepAlive = head.keepAlive
        } else if let text = h["Content-Length"] {
            guard let n = HTTP1Parser.parseLength(Substring(text)) else {
                throw HTTPClientError(.malformedResponse, host: connection.endpoint.description, "bad Content-Length", responseStarted: true)
            }
            framing = n == 0 ? .done : .length(remaining: n)
            keepAlive = head.keepAlive
        } else {
            framing = .untilClose
            keepAlive = false
        }
    }

    /// The bytes the framing still announces (nil when unknown).
    var remaining: Int64? {
        switch framing {
        case .length(let n): return n
        case .done: return 0
        default: return nil
        }
    }

    var isDone: Bool { if case .done = framing { return true } else { return false } }

    /// Reads until `max` body bytes or the body's end (whichever first) and returns them;
    /// empty only at the end.
    /// - Throws: ``HTTPClientError`` `truncatedBody` when the stream ends before the body.
    mutating func read(max: Int) throws -> Data {
        var out = Data()
        switch framing {
        case .done:
            return out
        case .length(let remaining):
            let want = Int(min(Int64(max), remaining))
            out.count = want
            var got = 0
            try out.withUnsafeMutableBytes { raw in
                while got < want {
                    let n = try connection.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[got..<want]))
                    if n == 0 { throw truncated("\(remaining - Int64(got)) body bytes missing") }
                    got += n
                }
            }
            framing = remaining == Int64(want) ? .done : .length(remaining: remaining - Int64(want))
        case .chunked(var decoder):
            var buffer = [UInt8](repeating: 0, count: 65536)
            while out.count < max && !decoder.isDone {
                let n = try buffer.withUnsafeMutableBytes { try connection.read(into: $0) }
                if n == 0 { throw truncated("chunked body ended early") }
                let consumed: Int
                do {
                    consumed = try buffer.withUnsafeBytes { b in
                        try decoder.decode(UnsafeRawBufferPointer(rebasing: b[..<n])) { out.append(contentsOf: $0) }.consumed
                    }
                } catch {
                    throw HTTPClientError(.malformedResponse, host: connection.endpoint.description, "\(error)", responseStarted: true)
                }
                if consumed < n { connection.pending = Array(buffer[consumed..<n]) + connection.pending }
            }
            framing = decoder.isDone ? .done : .chunked(decoder)
        case .untilClose:
            out.count = max
            let n = try out.withUnsafeMutableBytes { try connection.read(into: $0) }
            out.count = n
            if n == 0 { framing = .done }
        }
        return out
    }

    private func truncated(_ what: String) -> HTTPClientError {
        HTTPClientError(.truncatedBody, host: connection.endpoint.description, "connection closed mid-body: \(what)", responseStarted: true)
    }
}
