#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A raw TCP server on 127.0.0.1 for client tests: each accepted connection runs `handler`
/// on a thread of its own, and the server counts accepts (one per client connection).
final class LoopbackServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var acceptCount = 0
    private var stopped = false

    /// Connections accepted so far.
    var accepts: Int { lock.withLock { acceptCount } }

    init(handler: @escaping @Sendable (LoopbackPeer) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        listener = fd
        let thread = Thread { [self] in
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { if errno == EINTR { continue }; return }
                let index: Int? = lock.withLock {
                    if stopped { return nil }
                    acceptCount += 1
                    return acceptCount
                }
                guard let index else { Glibc.close(c); return }
                let peer = LoopbackPeer(fd: c, index: index)
                Thread { handler(peer); peer.close() }.start()
            }
        }
        thread.start()
    }

    func stop() {
        guard !lock.withLock({ defer { stopped = true }; return stopped }) else { return }
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    deinit { stop() }

    /// A port nothing listens on now (bound, then released).
    static func freePort() throws -> Int {
        let s = try LoopbackServer { _ in }
        let p = s.port
        s.stop()
        return p
    }
}

/// One accepted connection, read and written with blocking calls.
final class LoopbackPeer: @unchecked Sendable {
    let fd: Int32
    /// 1 for the server's first connection, 2 for the second, ...
    let index: Int
    private var buffer = [UInt8]()
    private var closed = false

    init(fd: Int32, index: Int) { self.fd = fd; self.index = index }

    /// The next request head (request line and fields), or nil when the client closed.
    func readHead() -> String? {
        while true {
            if let r = buffer.firstRange(of: [13, 10, 13, 10]) {
                let head = String(decoding: buffer[..<r.lowerBound], as: UTF8.self)
                buffer.removeFirst(r.upperBound)
                return head
            }
            guard fill() else { return nil }
        }
    }

    /// Reads exactly `count` body bytes (fewer when the client closed).
    func readBody(_ count: Int) -> Data {
        while buffer.count < count, fill() {}
        let n = min(count, buffer.count)
        defer { buffer.removeFirst(n) }
        return Data(buffer[..<n])
    }

    /// Reads a chunked body to its last chunk and returns the decoded bytes.
    func readChunkedBody() -> Data {
        var out = Data()
        while true {
            while buffer.firstRange(of: [13, 10]) == nil { guard fill() else { return out } }
            let r = buffer.firstRange(of: [13, 10])!
            let size = Int(String(decoding: buffer[..<r.lowerBound], as: UTF8.self), radix: 16) ?? 0
            buffer.removeFirst(r.upperBound)
            while buffer.count < size + 2 { guard fill() else { return out } }
            out.append(contentsOf: buffer[..<size])
            buffer.removeFirst(size + 2)
            if size == 0 { return out }
        }
    }

    /// Reads and drops bytes until the client closes (or 120 s pass): a server that never
    /// answers, however late the client gets to reading.
    func waitForClientToClose() {
        var tv = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        while fill() { buffer.removeAll() }
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[..<n])
        return true
    }

    /// Writes all of `data`; false when the client is gone.
    @discardableResult
    func send(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + off, raw.count - off, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                off += n
            }
            return true
        }
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    /// Sends a complete answer with a Content-Length body.
    @discardableResult
    func respond(_ status: Int = 200, _ body: String = "", headers: [String] = []) -> Bool {
        let extra = headers.map { $0 + "\r\n" }.joined()
        return send("HTTP/1.1 \(status) X\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)")
    }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }
}
