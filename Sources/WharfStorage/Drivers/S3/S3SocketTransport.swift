#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import COpenSSL
import Foundation

/// HTTP/1.1 over POSIX sockets (and OpenSSL for https), for endpoints that need what
/// URLSession on Linux cannot do: trusting a private CA bundle (`trustedca`).
///
/// - Keep-alive connections are pooled per transport (one endpoint) and reused; a reused
///   connection that turns out closed by the peer is replaced once, transparently.
/// - Timeouts are socket send/receive timeouts; connects are bounded the same way.
/// - TLS verifies the peer against the system store plus `trustedCA`, with SNI and host
///   name checking.
/// - Blocking calls run on ``BlockingIOQueue``, off Swift's cooperative pool.
/// - Request bodies are one S3 part at most; responses are read by Content-Length or
///   chunked coding.
final class S3SocketTransport: @unchecked Sendable {
    let scheme: String
    let host: String
    let port: UInt16
    let timeout: TimeInterval
    private let tls: OpaquePointer?
    private let lock = NSLock()
    private var idle: [S3Connection] = []
    private let io = BlockingIOQueue(maxThreads: 64)

    /// - Throws: ``S3Error`` when the CA bundle cannot be loaded.
    init(scheme: String, hostPort: String, trustedCA: String?, timeout: TimeInterval) throws {
        self.scheme = scheme
        self.timeout = timeout
        if let colon = hostPort.lastIndex(of: ":"), let p = UInt16(hostPort[hostPort.index(after: colon)...]) {
            host = String(hostPort[..<colon])
            port = p
        } else {
            host = hostPort
            port = scheme == "https" ? 443 : 80
        }
        guard scheme == "https" else { tls = nil; return }
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            throw S3Error(status: 0, code: "TLSFailure", message: "cannot create a TLS context")
        }
        _ = wharf_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        SSL_CTX_set_default_verify_paths(ctx)
        if let trustedCA, SSL_CTX_load_verify_locations(ctx, trustedCA, nil) != 1 {
            SSL_CTX_free(ctx)
            throw S3Error(status: 0, code: "TLSFailure", message: "cannot load trustedca bundle \(trustedCA)")
        }
        tls = ctx
    }

    deinit {
        for c in idle { c.close() }
        if let tls { SSL_CTX_free(tls) }
    }

    /// Sends one request and reads the whole answer. `target` is the encoded path and query.
    func send(method: String, target: String, headers: [String: String], body: Data?) async throws -> S3Response {
        try await io.run { try self.sendBlocking(method: method, target: target, headers: headers, body: body) }
    }

    private func sendBlocking(method: String, target: String, headers: [String: String], body: Data?) throws -> S3Response {
        var head = "\(method) \(target) HTTP/1.1\r\n"
        var hasHost = false
        for (k, v) in headers {
            if k.lowercased() == "host" { hasHost = true }
            if k.lowercased() == "content-length" { continue }
            head += "\(k): \(v)\r\n"
        }
        if !hasHost { head += "Host: \(port == 80 || port == 443 ? host : "\(host):\(port)")\r\n" }
        if body != nil || method == "PUT" || method == "POST" { head += "Content-Length: \(body?.count ?? 0)\r\n" }
        head += "\r\n"
        var request = Data(head.utf8)
        if let body { request.append(body) }

        // A pooled connection may have been closed by the peer meanwhile: one fresh retry.
        if let pooled = takeIdle() {
            do {
                return try exchange(pooled, request: request, method: method)
            } catch let e as S3Error where e.code == "StaleConnection" {
                pooled.close()
            }
        }
        let fresh = try connect()
        do {
            return try exchange(fresh, request: request, method: method)
        } catch let e as S3Error where e.code == "StaleConnection" {
            throw S3Error(status: 0, code: "ConnectionReset", message: "connection closed by \(host):\(port) before an answer")
        }
    }

    private func takeIdle() -> S3Connection? {
        lock.withLock { idle.popLast() }
    }

    private func exchange(_ c: S3Connection, request: Data, method: String) throws -> S3Response {
        do {
            try c.writeAll(request)
            var reader = S3ResponseReader(connection: c)
            let response = try reader.read(method: method)
            if response.keepAlive {
                lock.withLock { if idle.count < 32 { idle.append(c) } else { c.close() } }
            } else {
                c.close()
            }
            return response.response
        } catch {
            c.close()
            throw error
        }
    }

    private func connect() throws -> S3Connection {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw S3Error(status: 0, code: "HostNotFound", message: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastErrno: Int32 = 0
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if fd >= 0 {
                var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - floor(timeout)) * 1e6))
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 {
                    return try S3Connection(fd: fd, tls: tls, host: host)
                }
                lastErrno = errno
                Glibc.close(fd)
            }
            ai = a.pointee.ai_next
        }
        let code = lastErrno == ECONNREFUSED ? "ConnectionRefused" : (lastErrno == EAGAIN || lastErrno == ETIMEDOUT || lastErrno == EINPROGRESS ? "Timeout" : "ConnectFailed")
        throw S3Error(status: 0, code: code, message: "connect to \(host):\(port): \(String(cString: strerror(lastErrno)))")
    }
}

/// One socket, plain or TLS.
final class S3Connection: @unchecked Sendable {
    private var fd: Int32
    private var ssl: OpaquePointer?

    init(fd: Int32, tls: OpaquePointer?, host: String) throws {
        self.fd = fd
        guard let tls else { return }
        guard let s = SSL_new(tls) else {
            Glibc.close(fd)
            throw S3Error(status: 0, code: "TLSFailure", message: "SSL_new failed")
        }
        ssl = s
        SSL_set_fd(s, fd)
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), host)   // an IP endpoint: match IP SANs, no SNI
        } else {
            _ = wharf_SSL_set_tlsext_host_name(s, host)
            SSL_set1_host(s, host)
        }
        if SSL_connect(s) != 1 {
            let verify = SSL_get_verify_result(s)
            let reason = verify != X509_V_OK ? String(cString: X509_verify_cert_error_string(verify)) : Self.lastError()
            close()
            throw S3Error(status: 0, code: "TLSFailure", message: "TLS handshake with \(host): \(reason)")
        }
    }

    static func lastError() -> String {
        let e = ERR_get_error()
        guard e != 0 else { return "connection closed" }
        var buf = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(e, &buf, buf.count)
        return String(cString: buf)
    }

    func close() {
        if let ssl {
            SSL_free(ssl)
            self.ssl = nil
        }
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    func writeAll(_ data: Data) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < raw.count {
                let n: Int
                if let ssl {
                    n = Int(SSL_write(ssl, raw.baseAddress! + offset, Int32(min(raw.count - offset, 1 << 20))))
                } else {
                    n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                }
                if n <= 0 {
                    if n < 0, ssl == nil, errno == EINTR { continue }
                    let e = errno
                    throw S3Error(status: 0, code: offset == 0 && (e == EPIPE || e == ECONNRESET) ? "StaleConnection" : Self.errnoCode(e),
                                  message: "send: \(String(cString: strerror(e)))")
                }
                offset += n
            }
        }
    }

    /// Reads up to `count` bytes; 0 at end of stream.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n: Int
            if let ssl {
                n = Int(SSL_read(ssl, buffer, Int32(count)))
                if n <= 0 {
                    let err = SSL_get_error(ssl, Int32(n))
                    if err == SSL_ERROR_ZERO_RETURN { return 0 }
                    if err == SSL_ERROR_SYSCALL && errno == 0 { return 0 }
                    throw S3Error(status: 0, code: Self.errnoCode(errno), message: "TLS read: \(Self.lastError())")
                }
            } else {
                n = recv(fd, buffer, count, 0)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw S3Error(status: 0, code: Self.errnoCode(errno), message: "recv: \(String(cString: strerror(errno)))")
                }
            }
            return n
        }
    }

    static func errnoCode(_ e: Int32) -> String {
        switch e {
        case EAGAIN, ETIMEDOUT: return "Timeout"
        case ECONNRESET, EPIPE: return "ConnectionReset"
        case ECONNREFUSED: return "ConnectionRefused"
        default: return "SocketError"
        }
    }
}

/// Reads one HTTP/1.1 answer from a connection.
struct S3ResponseReader {
    let connection: S3Connection
    private var buffer = [UInt8]()
    private var position = 0

    init(connection: S3Connection) { self.connection = connection }

    /// Fills the buffer with more bytes; false at end of stream.
    private mutating func fill() throws -> Bool {
        if position > 0 && position == buffer.count { buffer.removeAll(keepingCapacity: true); position = 0 }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = try chunk.withUnsafeMutableBytes { try connection.read(into: $0.baseAddress!, count: $0.count) }
        if n == 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
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

    private mutating func bytes(_ count: Int) throws -> Data {
        var out = Data()
        out.reserveCapacity(count)
        while out.count < count {
            if position == buffer.count {
                guard try fill() else { throw S3Error(status: 0, code: "ConnectionReset", message: "answer body ended early") }
            }
            let take = min(count - out.count, buffer.count - position)
            out.append(contentsOf: buffer[position..<position + take])
            position += take
        }
        return out
    }

    mutating func read(method: String) throws -> (response: S3Response, keepAlive: Bool) {
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
        var keepAlive = parts[0] == "HTTP/1.1" && headers["connection"]?.lowercased() != "close"
        var body = Data()
        if method == "HEAD" || status == 204 || status == 304 || (100..<200).contains(status) {
            // no body
        } else if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try line()
                guard let size = Int(sizeLine.split(separator: ";")[0].trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
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
        return (S3Response(status: status, headers: headers, body: body), keepAlive)
    }
}
