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
    /// Descriptors held by connections and HTTP/2 streams (set at ``start()``).
    private var ledger = DescriptorLedger(descriptors: 1024)
    /// Connections admitted over the limit into a reserved slot (see ``HTTPLimits/reservedConnections``).
    private var reserved: Set<ObjectIdentifier> = []
    /// ``HTTPLimits/maxConnections``, lowered at start when the descriptor limit cannot hold it.
    private var maxConnections = 0
    private var refusals = RefusalLog(interval: 10)
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
        let budget = DescriptorBudget.raise()
        let limit = budget.connections(wanted: configuration.limits.maxConnections,
                                       reserved: configuration.limits.reservedConnections)
        if limit < configuration.limits.maxConnections {
            logger.warn("connection limit lowered to fit the open-file limit",
                        ["configured": String(configuration.limits.maxConnections), "limit": String(limit),
                         "nofile": String(budget.descriptors)])
        }
        lock.lock()
        maxConnections = limit
        ledger = DescriptorLedger(descriptors: budget.descriptors)
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
        let open = accepting
        let tls = tlsContext
        let ledger = self.ledger
        var admitReserved = false
        var evicted: Connection?
        var refused = false
        if open && connections.count >= maxConnections {
            if let victim = claimOldestIdle() {
                evicted = victim
            } else if connections.count < maxConnections + configuration.limits.reservedConnections {
                admitReserved = true
            } else {
                refused = true
            }
        }
        lock.unlock()
        guard open else { Glibc.close(fd); return }
        evicted?.closeIfIdle()
        if refused {
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
                                    logger: logger, handler: handler, descriptors: ledger) { [weak self] c in
            ledger.connectionClosed()
            guard let self else { return }
            self.lock.lock()
            self.connections[ObjectIdentifier(c)] = nil
            self.reserved.remove(ObjectIdentifier(c))
            self.lock.unlock()
        }
        connection.closeAfterFirstRequest = admitReserved
        ledger.connectionOpened()
        lock.lock()
        connections[ObjectIdentifier(connection)] = connection
        if admitReserved { reserved.insert(ObjectIdentifier(connection)) }
        lock.unlock()
        connection.start()
    }

    /// The connection idle the longest, claimed (its idle mark cleared, so a burst of
    /// accepts picks a different one each time); nil when every connection is busy.
    /// Call with `lock` held.
    private func claimOldestIdle() -> Connection? {
        while true {
            var oldest: (Connection, UInt64)?
            for c in connections.values {
                let since = c.idleSince.load(ordering: .relaxed)
                if since != 0, oldest == nil || since < oldest!.1 { oldest = (c, since) }
            }
            guard let (c, since) = oldest else { return nil }
            if c.idleSince.compareExchange(expected: since, desired: 0, ordering: .relaxed).exchanged { return c }
        }
    }

    /// Every connection busy and the reserved slots taken: a best-effort 503 (plain HTTP
    /// only), then close. The socket is half-closed and drained briefly so the answer is not
    /// lost to a reset. The warning is logged at most once per interval, with the count.
    private func reject(_ fd: Int32) {
        let (limit, report) = lock.withLock { (maxConnections, refusals.refused(now: .now())) }
        if let count = report {
            logger.warn("connection limit reached, every connection busy: refusing",
                        ["limit": String(limit), "refused": String(count)])
        }
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
