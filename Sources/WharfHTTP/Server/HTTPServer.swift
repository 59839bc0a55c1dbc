import Foundation

/// Wharf's HTTP server: non-blocking sockets on ``EventLoop``s (epoll, one per core), a
/// transport (plain or TLS) and a codec (HTTP/1.1 or HTTP/2) per connection, every request
/// handed to one ``HTTPHandler``.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 5000), logger: logger, handler: router.handle)
/// try server.start()
/// ...
/// await server.shutdown(gracePeriod: 30)   // stop accepting, let in-flight requests finish
/// ```
public final class HTTPServer: @unchecked Sendable {
    /// Address, TLS and limits, fixed at creation.
    public let configuration: HTTPServerConfiguration
    /// Where connection-level events and handler errors are logged.
    public let logger: Logger
    let handler: HTTPHandler

    private let lock = NSLock()
    private var listener: Listener?
    private var tlsContext: TLSContext?
    private var connections: [ObjectIdentifier: Connection] = [:]
    private var accepting = false
    private var boundPort = 0

    /// A server that will hand every request to `handler` once ``start()`` is called.
    public init(configuration: HTTPServerConfiguration, logger: Logger, handler: @escaping HTTPHandler) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
    }

    /// Binds and starts accepting. Throws when the address cannot be bound or TLS files are unusable.
    public func start() throws {
        signal(SIGPIPE, SIG_IGN)
        // The loops are made once per process, here rather than at the first accept, so a
        // process that cannot make them fails to start instead of failing its connections.
        guard !EventLoop.shared.isEmpty else {
            throw HTTPServerError("cannot create an epoll descriptor for the connection loops: \(String(cString: strerror(errno)))")
        }
        let tls = try configuration.tls.map { try TLSContext($0) }
        lock.lock()
        tlsContext = tls
        accepting = true
        lock.unlock()
        let l = try Listener(host: configuration.host, port: configuration.port) { [weak self] fd, remote in
            guard let self else { Glibc.close(fd); return }
            self.accepted(fd, remote)
        }
        lock.lock()
        listener = l
        boundPort = l.port
        lock.unlock()
        logger.debug("listening", ["addr": "\(configuration.host.isEmpty ? "" : configuration.host):\(l.port)",
                                  "tls": tls == nil ? "false" : "true"])
    }

    /// The bound TCP port (useful after binding port 0); 0 before ``start()``.
    public var localPort: Int {
        lock.lock()
        defer { lock.unlock() }
        return boundPort
    }

    /// The number of open connections.
    public var connectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return connections.count
    }

    private func accepted(_ fd: Int32, _ remote: String) {
        lock.lock()
        let full = connections.count >= configuration.limits.maxConnections
        let open = accepting
        let tls = tlsContext
        lock.unlock()
        guard open else { Glibc.close(fd); return }
        if full {
            reject(fd)
            return
        }
        let transport: Transport
        if let tls {
            guard let t = TLSTransport(descriptor: fd, context: tls) else { Glibc.close(fd); return }
            transport = t
        } else {
            transport = PlainTransport(descriptor: fd)
        }
        let connection = Connection(transport: transport, remoteAddress: remote, configuration: configuration,
                                    logger: logger, handler: handler) { [weak self] c in
            guard let self else { return }
            self.lock.lock()
            self.connections[ObjectIdentifier(c)] = nil
            self.lock.unlock()
        }
        lock.lock()
        connections[ObjectIdentifier(connection)] = connection
        lock.unlock()
        connection.start()
    }

    /// Over the connection limit: a best-effort 503 (plain HTTP only), then close. The socket
    /// is half-closed and drained briefly so the answer is not lost to a reset.
    private func reject(_ fd: Int32) {
        logger.warn("connection limit reached", ["limit": String(configuration.limits.maxConnections)])
        if configuration.tls == nil {
            let body = "503 Service Unavailable: too many connections\n"
            let response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nRetry-After: 1\r\nConnection: close\r\n\r\n\(body)"
            _ = response.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        }
        Glibc.shutdown(fd, Int32(SHUT_WR))
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) {
            var scratch = [UInt8](repeating: 0, count: 4096)
            while recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT)) > 0 {}
            Glibc.close(fd)
        }
    }

    /// Stops accepting, closes idle keep-alive connections, lets in-flight requests finish
    /// for up to `gracePeriod` seconds, then closes every connection. Returns when all are closed.
    public func shutdown(gracePeriod: Double) async {
        let (l, open) = lock.withLock { () -> (Listener?, [Connection]) in
            accepting = false
            let l = listener
            listener = nil
            return (l, Array(connections.values))
        }
        l?.close()
        for c in open { c.requestShutdown() }
        let deadline = DispatchTime.now() + gracePeriod
        while connectionCount > 0 && DispatchTime.now() < deadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        let remaining = lock.withLock { Array(connections.values) }
        for c in remaining { c.forceClose() }
        let hardDeadline = DispatchTime.now() + 5
        while connectionCount > 0 && DispatchTime.now() < hardDeadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        logger.info("server stopped", [:])
    }
}
