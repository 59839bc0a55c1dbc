#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import COpenSSL
import Foundation

/// HTTP/1.1 over POSIX sockets (and OpenSSL for https): the S3 driver's client, trusting
/// the system store plus an optional private CA bundle (`trustedca`).
///
/// - Keep-alive connections are pooled per transport (one endpoint) and reused; a reused
///   connection that turns out closed by the peer is replaced once, transparently.
/// - Timeouts are socket send/receive timeouts; connects are bounded the same way.
/// - TLS verifies the peer against the system store plus `trustedCA`, with SNI and host
///   name checking.
/// - Blocking calls run on ``BlockingIOQueue``, off Swift's cooperative pool.
/// - Request bodies are one S3 part at most, written as they are (not copied behind the
///   head); object GETs can be streamed (``openStream(target:headers:)``, ``S3BodyStream``),
///   other responses are read whole by Content-Length or
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
        try await io.run {
            let (c, head, reader) = try self.start(method: method, target: target, headers: headers, body: body)
            var r = reader
            do {
                let (data, keepAlive) = try r.readWholeBody(head, method: method)
                self.release(c, reusable: keepAlive)
                return S3Response(status: head.status, headers: head.headers, body: data)
            } catch {
                c.close()
                throw error
            }
        }
    }

    /// Sends a GET and reads only the answer's head: a 2xx answer with a Content-Length comes
    /// back as a stream the caller reads at its own pace (the socket is read no faster), any
    /// other answer whole.
    func openStream(target: String, headers: [String: String]) async throws -> (response: S3Response, stream: S3BodyStream?) {
        try await io.run {
            let (c, head, reader) = try self.start(method: "GET", target: target, headers: headers, body: nil)
            if (200..<300).contains(head.status), let text = head.headers["content-length"], let length = Int64(text), length >= 0 {
                let stream = S3BodyStream(transport: self, connection: c, reader: reader, length: length, keepAlive: head.keepAlive)
                return (S3Response(status: head.status, headers: head.headers, body: Data()), stream)
            }
            var r = reader
            do {
                let (data, keepAlive) = try r.readWholeBody(head, method: "GET")
                self.release(c, reusable: keepAlive)
                return (S3Response(status: head.status, headers: head.headers, body: data), nil)
            } catch {
                c.close()
                throw error
            }
        }
    }

    /// Runs blocking socket work (a stream's reads) on the transport's I/O threads.
    func run<T>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await io.run(body)
    }

    /// Writes the request and reads the answer's head, on a pooled connection when there is
    /// one (a pooled connection the peer closed meanwhile is replaced once by a fresh one).
    private func start(method: String, target: String, headers: [String: String], body: Data?) throws
        -> (S3Connection, S3ResponseReader.Head, S3ResponseReader) {
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
        // Small bodies go in the same write as the head; a part is written as it is, uncopied.
        var request = Data(head.utf8)
        var separateBody: Data?
        if let body {
            if body.count <= 65536 { request.append(body) } else { separateBody = body }
        }

        if let pooled = takeIdle() {
            do {
                return try exchange(pooled, request: request, body: separateBody)
            } catch let e as S3Error where e.code == "StaleConnection" {
                pooled.close()
            }
        }
        let fresh = try connect()
        do {
            return try exchange(fresh, request: request, body: separateBody)
        } catch let e as S3Error where e.code == "StaleConnection" {
            throw S3Error(status: 0, code: "ConnectionReset", message: "connection closed by \(host):\(port) before an answer")
        }
    }

    private func takeIdle() -> S3Connection? {
        lock.withLock { idle.popLast() }
    }

    /// Returns a connection whose answer was read to the end to the pool, or closes it.
    func release(_ c: S3Connection, reusable: Bool) {
        guard reusable else { c.close(); return }
        let pooled: Bool = lock.withLock {
            guard idle.count < 32 else { return false }
            idle.append(c)
            return true
        }
        if !pooled { c.close() }
    }

    private func exchange(_ c: S3Connection, request: Data, body: Data?) throws -> (S3Connection, S3ResponseReader.Head, S3ResponseReader) {
        do {
            try c.writeAll(request)
            if let body { try c.writeAll(body) }
            var reader = S3ResponseReader(connection: c)
            let head = try reader.readHead()
            return (c, head, reader)
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
