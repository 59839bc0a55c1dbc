import WharfSystem
import Foundation

/// Idle keep-alive connections per (endpoint, proxy), and the threads blocking socket I/O
/// runs on. A connection is pooled only after its answer was read to the end, and taken
/// out only if the peer has not closed it meanwhile.
final class ConnectionPool: @unchecked Sendable {
    struct Key: Hashable {
        var endpoint: HTTPEndpoint
        var proxy: HTTPProxy?
    }

    let io: BlockingIOQueue
    private let maxIdlePerKey: Int
    private let lock = NSLock()
    private var idle: [Key: [ClientConnection]] = [:]

    init(maxIdlePerKey: Int, maxThreads: Int) {
        self.maxIdlePerKey = maxIdlePerKey
        io = BlockingIOQueue(maxThreads: maxThreads, threadName: "wharf-http-io")
    }

    deinit {
        for list in idle.values { for c in list { c.close() } }
    }

    /// An idle connection for `key` that still looks usable, or nil (stale ones are closed).
    func take(_ key: Key) -> ClientConnection? {
        while let c = lock.withLock({ idle[key]?.popLast() }) {
            if c.isReusable { return c }
            c.close()
        }
        return nil
    }

    /// Gives back a connection whose answer was read to the end.
    func release(_ c: ClientConnection) {
        let pooled: Bool = lock.withLock {
            let key = c.poolKey
            guard (idle[key]?.count ?? 0) < maxIdlePerKey else { return false }
            idle[key, default: []].append(c)
            return true
        }
        if !pooled { c.close() }
    }

    /// Idle connections held now (for tests and metrics).
    var idleCount: Int { lock.withLock { idle.values.reduce(0) { $0 + $1.count } } }
}
