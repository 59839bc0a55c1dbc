/// Serializes HTTP/1.1 response heads into one byte buffer, adding the framing headers
/// the server owns (`Content-Length` or `Transfer-Encoding`, `Date`, `Connection`).
enum ResponseEncoder {
    /// How the response body is delimited on the wire.
    enum Framing: Equatable {
        /// No body and no length header (1xx, 204).
        case none
        /// `Content-Length: n`.
        case length(Int64)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// Body ends when the connection closes (HTTP/1.0 stream of unknown length).
        case untilClose
        /// Keep the handler's own `Content-Length` if any (HEAD, 304).
        case handlerLength
    }

    /// The head for `response` with the given framing and connection token.
    static func head(status: Int, headers: HTTPHeaders, framing: Framing, connection: String?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: "HTTP/1.1 \(status) \(HTTPResponse.reasonPhrase(status))\r\n".utf8)
        var hasDate = false
        for field in headers {
            if HTTPHeaders.same(field.name, "Transfer-Encoding") || HTTPHeaders.same(field.name, "Connection") { continue }
            if HTTPHeaders.same(field.name, "Content-Length") && framing != .handlerLength { continue }
            if HTTPHeaders.same(field.name, "Date") { hasDate = true }
            appendField(&out, field.name, field.value)
        }
        switch framing {
        case .length(let n): appendField(&out, "Content-Length", String(n))
        case .chunked: appendField(&out, "Transfer-Encoding", "chunked")
        case .none, .untilClose, .handlerLength: break
        }
        if !hasDate {
            out.append(contentsOf: "Date: ".utf8)
            out.append(contentsOf: HTTPDate.now())
            out.append(contentsOf: [13, 10])
        }
        if let connection { appendField(&out, "Connection", connection) }
        out.append(contentsOf: [13, 10])
        return out
    }

    /// Appends `name: value\r\n`, dropping CR, LF and NUL so a handler can never split the response.
    static func appendField(_ out: inout [UInt8], _ name: String, _ value: String) {
        for c in name.utf8 where c > 32 && c != 58 && c < 127 { out.append(c) }
        out.append(58); out.append(32)
        for c in value.utf8 where c != 13 && c != 10 && c != 0 { out.append(c) }
        out.append(13); out.append(10)
    }

    /// `HTTP/1.1 100 Continue` and its empty line.
    static let continueHead: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// The size line that precedes a chunk of `count` bytes.
    static func chunkPrefix(_ count: Int) -> [UInt8] { Array((String(count, radix: 16) + "\r\n").utf8) }

    static let crlf: [UInt8] = [13, 10]
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
}
