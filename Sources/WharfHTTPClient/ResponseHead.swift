import Foundation
import WharfHTTP

/// An answer's status line and header fields, parsed with WharfHTTP's HTTP/1.1 field parser.
struct ResponseHead: Sendable {
    var status: Int
    var headers: HTTPHeaders
    /// HTTP/1.1 without `Connection: close`.
    var keepAlive: Bool

    /// Reads one head from `connection`; bytes past it stay in the connection's `pending`.
    /// Interim 1xx answers (100 Continue) are skipped.
    /// - Throws: ``HTTPClientError`` `connectionClosed` when the stream ends before any
    ///   byte (`responseStarted` false), `malformedResponse`, `timeout`.
    static func read(from connection: ClientConnection, maxBytes: Int) throws -> ResponseHead {
        while true {
            let head = try readOne(from: connection, maxBytes: maxBytes)
            if head.status >= 200 || head.status == 101 { return head }
        }
    }

    private static func readOne(from connection: ClientConnection, maxBytes: Int) throws -> ResponseHead {
        var buffer = [UInt8]()
        var scanned = 0
        let host = connection.endpoint.description
        while true {
            let old = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: 16384))
            let n: Int
            do {
                n = try buffer.withUnsafeMutableBytes { try connection.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[old...])) }
            } catch var e as HTTPClientError {
                e.responseStarted = old > 0
                throw e
            }
            buffer.removeLast(16384 - n)
            if n == 0 {
                throw HTTPClientError(.connectionClosed, host: host,
                                      old == 0 ? "connection closed before an answer" : "connection closed inside the answer's head",
                                      responseStarted: old > 0)
            }
            let parsed: ResponseHead?? = try buffer.withUnsafeBytes { b in
                guard let end = HTTP1Parser.findHeadEnd(b, from: scanned) else { return .some(nil) }
                let head = try parse(UnsafeRawBufferPointer(rebasing: b[..<end]), host: host)
                connection.pending = Array(b[end...])
                return .some(head)
            }
            if let head = parsed ?? nil { return head }
            scanned = HTTP1Parser.rescanPosition(afterScanning: buffer.count)
            if buffer.count > maxBytes {
                throw HTTPClientError(.malformedResponse, host: host, "answer head larger than \(maxBytes) bytes", responseStarted: true)
            }
        }
    }

    /// Parses a complete head (`HTTP/1.x NNN reason` CRLF fields CRLF CRLF).
    static func parse(_ b: UnsafeRawBufferPointer, host: String) throws -> ResponseHead {
        var i = 0
        while i + 1 < b.count && b[i] == 13 && b[i + 1] == 10 { i += 2 }
        guard b.count - i >= 12, Array(b[i..<i + 7]) == Array("HTTP/1.".utf8), b[i + 8] == 32,
              let status = Int(HTTP1Parser.ascii(b, i + 9, i + 12)), (100...999).contains(status) else {
            throw HTTPClientError(.malformedResponse, host: host, "bad status line", responseStarted: true)
        }
        let http11 = b[i + 7] != 48
        while i + 1 < b.count && !(b[i] == 13 && b[i + 1] == 10) { i += 1 }
        let headers: HTTPHeaders
        switch HTTP1Parser.parseFields(b, from: i + 2, headEnd: b.count, limits: HTTPLimits()) {
        case .success(let h): headers = h
        case .failure(let e): throw HTTPClientError(.malformedResponse, host: host, e.reason, responseStarted: true)
        }
        let connection = headers.values("Connection").joined(separator: ",").lowercased()
        let keepAlive = http11 ? !connection.contains("close") : connection.contains("keep-alive")
        return ResponseHead(status: status, headers: headers, keepAlive: keepAlive)
    }
}
