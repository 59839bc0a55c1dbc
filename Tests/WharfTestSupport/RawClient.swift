import Foundation

/// A blocking POSIX socket client for raw protocol tests: it writes exactly the bytes a
/// test gives and reads responses without any HTTP library in between.
public final class RawClient {
    /// The connected socket, for tests that need a socket option or a half-close.
    public let fd: Int32

    /// Connects to `host:port`; reads and writes time out after `timeout` seconds.
    public init(port: Int, host: String = "127.0.0.1", timeout: Double = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawClientError("socket failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else { Glibc.close(fd); throw RawClientError("connect failed: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    private var closed = false

    deinit { if !closed { Glibc.close(fd) } }

    /// Ends the connection from the client side (both directions).
    public func hangUp() { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    /// Leaves as a client process that dies does: closes the socket at once, so unread
    /// bytes make the kernel answer with a reset. (``hangUp()`` only half-closes: once the
    /// server has filled the client's receive window, no more data reaches the client to
    /// draw that reset, and the server sees a slow reader.) Do not use the client after.
    public func abort() {
        guard !closed else { return }
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        Glibc.close(fd)
        closed = true
    }

    /// Sends all of `bytes`; returns false if the peer closed or reset.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    /// Sends the UTF-8 bytes of `s`; returns false if the peer closed or reset.
    @discardableResult
    public func send(_ s: String) -> Bool { send(Array(s.utf8)) }

    /// Reads whatever arrives next (up to `max` bytes); empty at EOF, nil on timeout or error.
    public func readSome(max: Int = 65536) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: max)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        if n < 0 { return nil }
        return Array(buf[0..<n])
    }

    /// Reads until EOF (or timeout); returns everything received.
    public func readToEnd() -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = readSome(), !chunk.isEmpty { all += chunk }
        return all
    }

    /// True if the server closed the connection (EOF or reset) within the timeout.
    public func isClosedByPeer() -> Bool {
        while true {
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 4096, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    /// Reads one complete response (sized, chunked or 1xx) and returns it.
    public func readResponse(headRequest: Bool = false) throws -> RawResponse {
        var buffer = pending
        pending = []
        func fill() throws {
            guard let chunk = readSome() else { throw RawClientError("timeout reading response") }
            if chunk.isEmpty { throw RawClientError("connection closed; got \(String(decoding: buffer, as: UTF8.self).prefix(200))") }
            buffer += chunk
        }
        var headEnd: Int?
        while headEnd == nil {
            if let r = buffer.firstRange(of: [13, 10, 13, 10]) { headEnd = r.upperBound } else { try fill() }
        }
        let headText = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        let statusLine = lines.removeFirst()
        let status = Int(statusLine.split(separator: " ")[1]) ?? 0
        var headers: [(String, String)] = []
        for l in lines {
            if let c = l.firstIndex(of: ":") {
                headers.append((String(l[..<c]).lowercased(), l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        var rest = Array(buffer[headEnd!...])
        var body: [UInt8] = []
        func header(_ n: String) -> String? { headers.first { $0.0 == n }?.1 }
        if headRequest || status < 200 || status == 204 || status == 304 {
            // no body
        } else if header("transfer-encoding") == "chunked" {
            while true {
                while rest.firstRange(of: [13, 10]) == nil { guard let c = readSome(), !c.isEmpty else { throw RawClientError("eof in chunk") }; rest += c }
                let r = rest.firstRange(of: [13, 10])!
                let size = Int(String(decoding: rest[0..<r.lowerBound], as: UTF8.self), radix: 16) ?? 0
                rest.removeFirst(r.upperBound)
                while rest.count < size + 2 { guard let c = readSome(), !c.isEmpty else { throw RawClientError("eof in chunk data") }; rest += c }
                if size == 0 {
                    rest.removeFirst(2)
                    break
                }
                body += rest[0..<size]
                rest.removeFirst(size + 2)
            }
        } else if let cl = header("content-length").flatMap({ Int($0) }) {
            while rest.count < cl { guard let c = readSome(), !c.isEmpty else { throw RawClientError("eof in body") }; rest += c }
            body = Array(rest[0..<cl])
            rest.removeFirst(cl)
        } else {
            while let c = readSome(), !c.isEmpty { rest += c }
            body = rest
            rest = []
        }
        pending = rest
        return RawResponse(status: status, headers: headers, body: body)
    }

    private var pending: [UInt8] = []
}

/// One response as `RawClient` read it: header names lowercased, body de-chunked.
public struct RawResponse {
    public let status: Int
    public let headers: [(String, String)]
    public let body: [UInt8]
    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The first value of header `name` (any case).
    public func header(_ name: String) -> String? { headers.first { $0.0 == name.lowercased() }?.1 }
}

/// Why a raw exchange failed (timeout, early close, refused connection).
public struct RawClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
