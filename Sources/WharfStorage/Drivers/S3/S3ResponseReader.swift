import Foundation

/// Reads one HTTP/1.1 answer from a connection: the head, then the body whole
/// (``read(method:)``) or piecewise (``readBody(into:max:)``, for streamed object GETs).
struct S3ResponseReader {
    let connection: S3Connection
    private var buffer = [UInt8]()
    private var position = 0

    init(connection: S3Connection) { self.connection = connection }

    /// The status, headers (lower-case names) and keep-alive of an answer's head.
    struct Head {
        var status: Int
        var headers: [String: String]
        var keepAlive: Bool
    }

    /// Fills the buffer with more bytes; false at end of stream.
    private mutating func fill() throws -> Bool {
        if position > 0 && position == buffer.count { buffer.removeAll(keepingCapacity: true); position = 0 }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: 65536))
        let n = try buffer.withUnsafeMutableBytes { try connection.read(into: $0.baseAddress! + old, count: 65536) }
        buffer.removeLast(65536 - n)
        return n > 0
    }

    private mutating func line(limit: Int = 16384) throws -> String {
        while true {
            if let i = buffer[position...].firstIndex(of: 0x0a) {
                var end = i
                if end > position, buffer[end - 1] == 0x0d { end -= 1 }
                let s = String(decoding: buffer[position..<end], as: UTF8.self)
                position = i + 1
                return s
            }
            guard buffer.count - position < limit else { throw S3Error(status: 0, code: "MalformedResponse", message: "header line too long") }
            guard try fill() else { throw S3Error(status: 0, code: "StaleConnection", message: "end of stream") }
        }
    }

    /// Reads up to `max` body bytes (at least one) straight into `out`: what the head buffer
    /// still holds first, then from the socket without an intermediate copy.
    /// - Throws: ``S3Error`` `ConnectionReset` when the stream ends first.
    mutating func readBody(into out: inout Data, max: Int) throws {
        precondition(max > 0)
        if position < buffer.count {
            let take = min(max, buffer.count - position)
            out.append(contentsOf: buffer[position..<position + take])
            position += take
            return
        }
        let old = out.count
        out.count = old + max
        let n = try out.withUnsafeMutableBytes { try connection.read(into: $0.baseAddress! + old, count: max) }
        out.count = old + n
        if n == 0 { throw S3Error(status: 0, code: "ConnectionReset", message: "answer body ended early") }
    }

    private mutating func bytes(_ count: Int) throws -> Data {
        var out = Data()
        out.reserveCapacity(count)
        while out.count < count { try readBody(into: &out, max: count - out.count) }
        return out
    }

    /// Reads the status line and headers.
    mutating func readHead() throws -> Head {
        let statusLine = try line()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw S3Error(status: 0, code: "MalformedResponse", message: "bad status line")
        }
        var headers: [String: String] = [:]
        var count = 0
        while true {
            let l = try line()
            if l.isEmpty { break }
            count += 1
            guard count < 200, let colon = l.firstIndex(of: ":") else {
                throw S3Error(status: 0, code: "MalformedResponse", message: "bad header line")
            }
            headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Head(status: status, headers: headers, keepAlive: parts[0] == "HTTP/1.1" && headers["connection"]?.lowercased() != "close")
    }

    /// Reads the whole body that `head` announces.
    mutating func readWholeBody(_ head: Head, method: String) throws -> (body: Data, keepAlive: Bool) {
        let status = head.status, headers = head.headers
        var keepAlive = head.keepAlive
        var body = Data()
        if method == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status) {
            // no body
        } else if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try line()
                guard let size = Int(sizeLine.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) ?? "", radix: 16), size >= 0 else {
                    throw S3Error(status: 0, code: "MalformedResponse", message: "bad chunk size")
                }
                if size == 0 {
                    while !(try line()).isEmpty {}
                    break
                }
                body.append(try bytes(size))
                _ = try line()
            }
        } else if let text = headers["content-length"], let length = Int(text), length >= 0 {
            body = try bytes(length)
        } else {
            keepAlive = false
            body = Data(buffer[position...])
            position = buffer.count
            while try fill() {
                body.append(contentsOf: buffer[position...])
                position = buffer.count
            }
        }
        return (body, keepAlive)
    }

    mutating func read(method: String) throws -> (response: S3Response, keepAlive: Bool) {
        let head = try readHead()
        let (body, keepAlive) = try readWholeBody(head, method: method)
        return (S3Response(status: head.status, headers: head.headers, body: body), keepAlive)
    }
}
