#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import WharfHTTP

/// One client socket (blocking, with send/receive timeouts) under a WharfHTTP
/// ``Transport``: plain, TLS, or TLS inside a proxy's CONNECT tunnel. One request at a
/// time uses it; the pool hands it out and takes it back.
final class ClientConnection: @unchecked Sendable {
    /// Where requests on this connection go (errors name it).
    let endpoint: HTTPEndpoint
    /// True when requests are sent to a proxy in absolute form (plain HTTP through a proxy).
    let absoluteForm: Bool
    /// The pool list this connection goes back to.
    let poolKey: ConnectionPool.Key
    private(set) var descriptor: Int32
    private var transport: Transport
    /// Answer bytes read past what the last read consumed (head remainder, pipelined bytes).
    var pending: [UInt8] = []
    /// How many requests this connection has carried.
    var requestCount = 0

    private init(endpoint: HTTPEndpoint, proxy: HTTPProxy?, descriptor: Int32, transport: Transport) {
        self.endpoint = endpoint
        poolKey = ConnectionPool.Key(endpoint: endpoint, proxy: proxy)
        absoluteForm = proxy != nil && !endpoint.isTLS
        self.descriptor = descriptor
        self.transport = transport
    }

    deinit { close() }

    /// Connects to `endpoint` (through `proxy` when given) and finishes the TLS handshake.
    static func open(to endpoint: HTTPEndpoint, proxy: HTTPProxy?, trust: TLSTrustStore,
                     configuration: HTTPClientConfiguration) throws -> ClientConnection {
        let hopHost = proxy?.host ?? endpoint.host, hopPort = proxy?.port ?? endpoint.port
        let named = proxy.map { "proxy \($0)" } ?? endpoint.description
        let fd = try connectSocket(host: hopHost, port: hopPort, named: named, timeout: configuration.connectTimeout)
        setTimeout(fd, configuration.readTimeout)
        let plain = ClientConnection(endpoint: endpoint, proxy: proxy, descriptor: fd, transport: PlainTransport(descriptor: fd))
        guard endpoint.isTLS else { return plain }
        if let proxy {
            setTimeout(fd, configuration.connectTimeout)
            try plain.tunnel(through: proxy, maxHeaderBytes: configuration.maxHeaderBytes)
            setTimeout(fd, configuration.readTimeout)
        }
        let ctx = try trust.context(for: endpoint)
        guard let tls = TLSTransport(descriptor: fd, sslContext: ctx.context, owner: ctx, serverName: endpoint.host) else {
            throw HTTPClientError(.tls, host: endpoint.description, "cannot start a TLS session" + TLSContext.drainErrors())
        }
        plain.descriptor = -1   // the TLS connection owns the socket now
        let secure = ClientConnection(endpoint: endpoint, proxy: proxy, descriptor: fd, transport: tls)
        switch tls.handshake() {
        case .bytes: return secure
        case .wouldBlock:
            throw HTTPClientError(.timeout, host: endpoint.description, "TLS handshake timed out")
        case .closed, .failed:
            let reason = tls.verificationFailure ?? ("handshake failed" + TLSContext.drainErrors())
            throw HTTPClientError(.tls, host: endpoint.description, "TLS: \(reason)")
        }
    }

    /// Asks the proxy for a tunnel to the endpoint (`CONNECT host:port`).
    private func tunnel(through proxy: HTTPProxy, maxHeaderBytes: Int) throws {
        var head = "CONNECT \(endpoint.description) HTTP/1.1\r\nHost: \(endpoint.description)\r\n"
        if let auth = proxy.authorization { head += "Proxy-Authorization: \(auth)\r\n" }
        head += "\r\n"
        do {
            try write(Data(head.utf8), nil)
            let answer = try ResponseHead.read(from: self, maxBytes: maxHeaderBytes)
            guard (200..<300).contains(answer.status) else {
                throw HTTPClientError(.proxy, host: "proxy \(proxy)", "CONNECT \(endpoint) answered \(answer.status)")
            }
        } catch var e as HTTPClientError where e.kind != .proxy {
            e = HTTPClientError(.proxy, host: "proxy \(proxy)", "CONNECT \(endpoint): \(e.message)")
            throw e
        }
    }

    /// Writes `head` then `body` (one writev for plain sockets; nothing copied).
    func write(_ head: Data, _ body: Data?) throws {
        try head.withUnsafeBytes { h in
            if let body {
                try body.withUnsafeBytes { b in try writeAll([h, b]) }
            } else {
                try writeAll([h])
            }
        }
    }

    private func writeAll(_ buffers: [UnsafeRawBufferPointer]) throws {
        var rest = buffers.filter { $0.count > 0 }
        while !rest.isEmpty {
            switch transport.write(rest) {
            case .bytes(var n):
                while n > 0, let first = rest.first {
                    if n >= first.count { n -= first.count; rest.removeFirst() }
                    else { rest[0] = UnsafeRawBufferPointer(rebasing: first[n...]); n = 0 }
                }
            case .wouldBlock:
                throw HTTPClientError(.timeout, host: endpoint.description, "send timed out")
            case .closed:
                throw HTTPClientError(.connectionClosed, host: endpoint.description, "connection closed while sending")
            case .failed(let why):
                throw HTTPClientError(.connectionClosed, host: endpoint.description, "send: \(why)")
            }
        }
    }

    /// Reads up to `buffer.count` bytes: pending bytes first, then the socket; 0 at the end
    /// of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if !pending.isEmpty {
            let n = min(buffer.count, pending.count)
            pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            pending.removeFirst(n)
            return n
        }
        switch transport.read(into: buffer) {
        case .bytes(let n): return n
        case .closed: return 0
        case .wouldBlock: throw HTTPClientError(.timeout, host: endpoint.description, "no answer bytes within the read timeout")
        case .failed(let why): throw HTTPClientError(.connectionClosed, host: endpoint.description, "read: \(why)")
        }
    }

    /// True when the idle connection can carry another request: the peer has not closed it
    /// and sent nothing unasked (checked without blocking).
    var isReusable: Bool {
        guard descriptor >= 0, pending.isEmpty else { return false }
        var p = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) == 0
    }

    /// Wakes a read blocked on this socket from another thread; ``close()`` still follows.
    func interrupt() {
        if descriptor >= 0 { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

    /// Closes the socket.
    func close() {
        guard descriptor >= 0 else { return }
        transport.close()
        Glibc.close(descriptor)
        descriptor = -1
    }

    private static func setTimeout(_ fd: Int32, _ seconds: TimeInterval) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - floor(seconds)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// A connected TCP socket to `host:port`, trying each resolved address within `timeout`.
    static func connectSocket(host: String, port: Int, named: String, timeout: TimeInterval) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw HTTPClientError(.hostNotFound, host: named, "cannot resolve: \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), a.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            var ok = Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0
            if !ok && errno == EINPROGRESS {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let r = poll(&p, 1, Int32(max(1, timeout * 1000)))
                if r == 0 {
                    lastError = ETIMEDOUT
                } else {
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                    ok = err == 0
                    lastError = err
                }
            } else if !ok {
                lastError = errno
            }
            if ok {
                _ = fcntl(fd, F_SETFL, flags)
                return fd
            }
            Glibc.close(fd)
        }
        let kind: HTTPClientError.Kind = lastError == ECONNREFUSED ? .connectionRefused : lastError == ETIMEDOUT ? .timeout : .connectFailed
        throw HTTPClientError(kind, host: named, "connect: \(String(cString: strerror(lastError)))")
    }
}
