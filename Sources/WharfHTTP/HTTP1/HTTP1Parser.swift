/// A parsed HTTP/1.x request head: request line and header fields.
///
/// Produced by ``HTTP1Parser/parseHead(_:limits:)``; the body framing is derived with
/// ``HTTP1Parser/bodyFraming(of:)``.
public struct HTTP1RequestHead: Sendable {
    /// The method token as received (case-sensitive, e.g. `GET`).
    public var method: String
    /// The request-target as received.
    public var target: String
    /// `HTTP/1.0` or `HTTP/1.1` (other 1.x minors are treated as 1.1).
    public var version: HTTPVersion
    /// The header fields in order, names and values as received (values trimmed of OWS).
    public var headers: HTTPHeaders
}

/// Why a request head or body was rejected, with the status to answer before closing.
public struct HTTP1ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 400, 414, 431, 501 or 505.
    public var status: Int
    /// What was wrong, for logs and the error body.
    public var reason: String
    /// An error answering `status` because of `reason`.
    public init(_ status: Int, _ reason: String) { self.status = status; self.reason = reason }
    /// `status: reason`.
    public var description: String { "\(status): \(reason)" }
}

/// How a request body is delimited (RFC 9112 §6.3).
public enum HTTP1BodyFraming: Equatable, Sendable {
    /// Exactly this many bytes (0 when the request has no body).
    case length(Int64)
    /// The chunked transfer coding, decoded with ``ChunkedDecoder``.
    case chunked
}

/// The HTTP/1.1 request-head parser (RFC 9112 §2-§5), strict about the shapes used for
/// request smuggling. It works on raw bytes and allocates only the resulting strings.
///
/// It is public so the fuzz target (`Tests/Fuzz/HTTP1`) can drive it directly.
///
/// ```swift
/// let result = bytes.withUnsafeBytes { HTTP1Parser.parseHead($0, limits: HTTPLimits()) }
/// if case .complete(let head, let consumed) = result { ... }
/// ```
public enum HTTP1Parser {
    /// The outcome of one parse attempt over the bytes received so far.
    public enum HeadResult: Sendable {
        /// The head is not complete yet; call again with more bytes.
        case needMore
        /// A complete head spanning the first `consumed` bytes.
        case complete(HTTP1RequestHead, consumed: Int)
        /// The head is invalid; answer `error.status` and close.
        case failure(HTTP1ParseError)
    }

    static let cr: UInt8 = 13, lf: UInt8 = 10, sp: UInt8 = 32, htab: UInt8 = 9, colon: UInt8 = 58

    /// Parses a request head at the start of `buffer`. `scanFrom` lets a caller skip bytes
    /// already known not to contain the head's end (avoids rescanning on every read).
    public static func parseHead(_ buffer: UnsafeRawBufferPointer, limits: HTTPLimits, scanFrom: Int = 0) -> HeadResult {
        if let error = checkRequestLineLength(buffer, limit: limits.maxRequestLineBytes) { return .failure(error) }
        guard let end = findHeadEnd(buffer, from: scanFrom) else {
            if buffer.count > limits.maxHeaderBytes { return .failure(HTTP1ParseError(431, "request head too large")) }
            if let error = checkMethodPrefix(buffer) ?? checkBareLF(buffer, from: scanFrom) { return .failure(error) }
            return .needMore
        }
        if end > limits.maxHeaderBytes { return .failure(HTTP1ParseError(431, "request head too large")) }
        switch parseLines(buffer, headEnd: end, limits: limits) {
        case .success(let head): return .complete(head, consumed: end)
        case .failure(let e): return .failure(e)
        }
    }

    /// 414 once the request line (after leading empty lines, without its CRLF) is known to be
    /// longer than `limit`; nil while it ends within the limit or may still do so.
    static func checkRequestLineLength(_ b: UnsafeRawBufferPointer, limit: Int) -> HTTP1ParseError? {
        var start = 0
        while start + 1 < b.count && b[start] == cr && b[start + 1] == lf { start += 2 }
        let scanEnd = min(b.count, start + limit + 1)
        var i = start
        while i < scanEnd {
            if b[i] == cr || b[i] == lf { return nil }
            i += 1
        }
        return i - start > limit ? HTTP1ParseError(414, "request line longer than \(limit) bytes") : nil
    }

    /// Rejects a head whose first bytes cannot begin a request line, without waiting for the
    /// line to end. A TLS ClientHello sent to a plain port (clients like skopeo try HTTPS
    /// first) has no CRLF to wait for: answering at once lets the client fall back to HTTP
    /// instead of waiting out the header timeout.
    static func checkMethodPrefix(_ b: UnsafeRawBufferPointer) -> HTTP1ParseError? {
        var i = 0
        while i < b.count && (b[i] == cr || b[i] == lf) { i += 1 }
        if i < b.count && b[i] == 0x16 { return HTTP1ParseError(400, "TLS handshake on a plain HTTP port") }
        let maxMethodLength = 32
        let methodStart = i
        while i < b.count {
            let c = b[i]
            if c == sp { return nil }
            if !isTChar(c) { return HTTP1ParseError(400, "invalid method") }
            if i - methodStart >= maxMethodLength { return HTTP1ParseError(400, "method too long") }
            i += 1
        }
        return nil
    }

    /// Rejects a line ended by a bare LF (RFC 9112 §2.2 lets a recipient refuse it; accepting
    /// it invites smuggling through proxies that disagree). Without this a head of bare-LF
    /// lines never completes and the client waits out the header timeout.
    static func checkBareLF(_ b: UnsafeRawBufferPointer, from: Int) -> HTTP1ParseError? {
        var i = max(0, from)
        while i < b.count {
            if b[i] == lf && (i == 0 || b[i - 1] != cr) { return HTTP1ParseError(400, "bare LF in request head") }
            i += 1
        }
        return nil
    }

    /// Index just past the `CRLFCRLF` ending the head (leading empty lines skipped), or nil.
    public static func findHeadEnd(_ b: UnsafeRawBufferPointer, from: Int = 0) -> Int? {
        var start = 0
        while start + 1 < b.count && b[start] == cr && b[start + 1] == lf { start += 2 }
        var i = max(from, start)
        let n = b.count
        while i + 3 < n {
            if b[i + 3] != lf { i += b[i + 3] == cr ? 1 : 4; continue }
            if b[i] == cr && b[i + 1] == lf && b[i + 2] == cr { return i + 4 }
            i += 1
        }
        return nil
    }

    /// A safe rescan position after a `needMore` over `count` bytes.
    public static func rescanPosition(afterScanning count: Int) -> Int { max(0, count - 3) }

    static func parseLines(_ b: UnsafeRawBufferPointer, headEnd: Int, limits: HTTPLimits) -> Result<HTTP1RequestHead, HTTP1ParseError> {
        var i = 0
        while i + 1 < headEnd && b[i] == cr && b[i + 1] == lf { i += 2 }
        // Request line.
        let methodStart = i
        while i < headEnd && isTChar(b[i]) { i += 1 }
        guard i > methodStart, i < headEnd, b[i] == sp else { return .failure(HTTP1ParseError(400, "invalid method")) }
        let method = ascii(b, methodStart, i)
        i += 1
        let targetStart = i
        while i < headEnd && b[i] > 0x20 && b[i] < 0x7F { i += 1 }
        guard i > targetStart, i < headEnd, b[i] == sp else { return .failure(HTTP1ParseError(400, "invalid request target")) }
        let target = ascii(b, targetStart, i)
        i += 1
        guard i + 10 <= headEnd, b[i] == 72, b[i + 1] == 84, b[i + 2] == 84, b[i + 3] == 80, b[i + 4] == 47,
              isDigit(b[i + 5]), b[i + 6] == 46, isDigit(b[i + 7]), b[i + 8] == cr, b[i + 9] == lf
        else { return .failure(HTTP1ParseError(400, "invalid request line")) }
        let major = Int(b[i + 5] - 48), minor = Int(b[i + 7] - 48)
        guard major == 1 else { return .failure(HTTP1ParseError(505, "unsupported HTTP version")) }
        let version = HTTPVersion(major: 1, minor: minor == 0 ? 0 : 1)
        i += 10
        if !(target.utf8.first == UInt8(ascii: "/") || target == "*" || method == "CONNECT" || target.hasPrefix("http://") || target.hasPrefix("https://")) {
            return .failure(HTTP1ParseError(400, "invalid request target"))
        }
        let headers: HTTPHeaders
        switch parseFields(b, from: i, headEnd: headEnd, limits: limits) {
        case .success(let h): headers = h
        case .failure(let e): return .failure(e)
        }
        if version == .http1_1 && !headers.contains("Host") { return .failure(HTTP1ParseError(400, "missing Host header")) }
        if headers.values("Host").count > 1 { return .failure(HTTP1ParseError(400, "duplicate Host header")) }
        return .success(HTTP1RequestHead(method: method, target: target, version: version, headers: headers))
    }

    /// Parses the header fields of a head from `from` (just past its first line) up to the
    /// final CRLF at `headEnd`: strict about folding, names and control characters. Shared by
    /// request heads and WharfHTTPClient's response heads.
    package static func parseFields(_ b: UnsafeRawBufferPointer, from: Int, headEnd: Int, limits: HTTPLimits) -> Result<HTTPHeaders, HTTP1ParseError> {
        var i = from
        var headers = HTTPHeaders()
        let fieldsEnd = headEnd - 2
        while i < fieldsEnd {
            if b[i] == sp || b[i] == htab { return .failure(HTTP1ParseError(400, "obsolete line folding")) }
            let nameStart = i
            while i < fieldsEnd && isTChar(b[i]) { i += 1 }
            guard i > nameStart, i < fieldsEnd, b[i] == colon else {
                return .failure(HTTP1ParseError(400, "invalid header field name"))
            }
            let name = ascii(b, nameStart, i)
            i += 1
            while i < fieldsEnd && (b[i] == sp || b[i] == htab) { i += 1 }
            let valueStart = i
            var valueEnd = i
            var highBytes = false
            while i < fieldsEnd {
                let c = b[i]
                if c == cr { break }
                if c < 0x20 && c != htab || c == 0x7F { return .failure(HTTP1ParseError(400, "invalid character in header field")) }
                if c >= 0x80 { highBytes = true }
                i += 1
                if c != sp && c != htab { valueEnd = i }
            }
            guard i + 1 < headEnd, b[i] == cr, b[i + 1] == lf else { return .failure(HTTP1ParseError(400, "bare CR in header")) }
            i += 2
            let value: String
            if highBytes {
                guard let v = String(validating: UnsafeRawBufferPointer(rebasing: b[valueStart..<valueEnd]), as: UTF8.self) else {
                    return .failure(HTTP1ParseError(400, "header field value is not UTF-8"))
                }
                value = v
            } else {
                value = ascii(b, valueStart, valueEnd)
            }
            if headers.count >= limits.maxHeaderCount { return .failure(HTTP1ParseError(431, "too many header fields")) }
            headers.add(name, value)
        }
        return .success(headers)
    }

    /// The body framing of `head`, rejecting ambiguous shapes: Content-Length with
    /// Transfer-Encoding, differing or malformed lengths, codings other than `chunked`.
    public static func bodyFraming(of head: HTTP1RequestHead) -> Result<HTTP1BodyFraming, HTTP1ParseError> {
        let te = head.headers.values("Transfer-Encoding")
        let cl = head.headers.values("Content-Length")
        if !te.isEmpty {
            if !cl.isEmpty { return .failure(HTTP1ParseError(400, "both Content-Length and Transfer-Encoding")) }
            if head.version == .http1_0 { return .failure(HTTP1ParseError(400, "Transfer-Encoding in HTTP/1.0")) }
            let codings = te.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .map { $0.trimmingASCIIWhitespace().lowercased() }
            for c in codings where c != "chunked" {
                return .failure(HTTP1ParseError(c.isEmpty ? 400 : 501, "unsupported transfer coding"))
            }
            guard codings.count == 1 else { return .failure(HTTP1ParseError(400, "chunked applied more than once")) }
            return .success(.chunked)
        }
        guard !cl.isEmpty else { return .success(.length(0)) }
        var length: Int64?
        for field in cl {
            for part in field.split(separator: ",", omittingEmptySubsequences: false) {
                guard let n = parseLength(part.trimmingASCIIWhitespace()) else {
                    return .failure(HTTP1ParseError(400, "invalid Content-Length"))
                }
                if let l = length, l != n { return .failure(HTTP1ParseError(400, "conflicting Content-Length")) }
                length = n
            }
        }
        return .success(.length(length ?? 0))
    }

    /// A non-negative decimal that fits Int64, or nil.
    public static func parseLength(_ s: Substring) -> Int64? {
        guard !s.isEmpty, s.utf8.count <= 19 else { return nil }
        var n: Int64 = 0
        for c in s.utf8 {
            guard isDigit(c) else { return nil }
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(c - 48))
            if o1 || o2 { return nil }
            n = a
        }
        return n
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// RFC 9110 tchar.
    @inline(__always) static func isTChar(_ c: UInt8) -> Bool {
        switch c {
        case 48...57, 65...90, 97...122: return true
        case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true
        default: return false
        }
    }

    @inline(__always) package static func ascii(_ b: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: b[from..<to]), as: UTF8.self)
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs.
    func trimmingASCIIWhitespace() -> Substring {
        var s = Substring(self)
        while let f = s.utf8.first, f == 32 || f == 9 { s = s.dropFirst() }
        while let l = s.utf8.last, l == 32 || l == 9 { s = s.dropLast() }
        return s
    }
}
