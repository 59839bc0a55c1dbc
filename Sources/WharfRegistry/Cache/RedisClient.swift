import Foundation
import WharfHTTPClient
import WharfSystem

/// Where and how to reach Redis (`redis.*`, mapped by the `wharf` CLI).
public struct RedisSettings: Sendable {
    /// Server host name or address.
    public var host: String
    /// Server port.
    public var port: Int
    /// ACL user sent with `AUTH` (nil: the password alone).
    public var username: String?
    /// `AUTH` password; nil sends no `AUTH`.
    public var password: String?
    /// Database `SELECT`ed on each new connection.
    public var db = 0
    /// TLS to the server.
    public var tls = false
    /// CAs that verify the server when `tls`.
    public var trust = HTTPClientTrust()
    /// Seconds to connect.
    public var dialTimeout: Double = 5
    /// Bounds each read and each write (the larger of `readtimeout` and `writetimeout`).
    public var ioTimeout: Double = 3
    /// Connections at most; commands beyond them wait their turn (one I/O thread per connection).
    public var poolSize = 10
    /// Idle connections kept for reuse.
    public var maxIdle = 4
    /// Seconds an idle connection is kept.
    public var idleTimeout: Double = 300

    /// The defaults for `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// A small Redis client: RESP2 over ``ClientStream`` (plain or TLS), a bounded pool of
/// connections (each authenticated and on `db`), and pipelining: ``pipeline(_:)`` writes
/// every command, then reads every reply, in one round trip.
public final class RedisClient: @unchecked Sendable {
    /// Where and how it connects.
    public let settings: RedisSettings
    private let io: BlockingIOQueue
    private let lock = NSLock()
    private var idle: [(stream: ClientStream, since: Date)] = []
    private var open = 0
    private var opened = 0

    /// Connections opened since the client was made (reuse keeps it at most `poolSize` while
    /// connections stay healthy).
    public var connectionsOpened: Int { lock.withLock { opened } }

    /// A client; connections open on first use.
    public init(settings: RedisSettings) {
        self.settings = settings
        io = BlockingIOQueue(maxThreads: max(1, settings.poolSize), threadName: "wharf-redis")
    }

    /// Sends `commands` in one write and returns their replies in order. A reply that is a
    /// Redis error is returned as ``RESPValue/error(_:)``; a connection failure throws.
    public func pipeline(_ commands: [[String]]) async throws -> [RESPValue] {
        try await io.run { [self] in try self.runPipeline(commands) }
    }

    /// One command's reply.
    public func command(_ args: String...) async throws -> RESPValue {
        try await pipeline([args])[0]
    }

    private func runPipeline(_ commands: [[String]]) throws -> [RESPValue] {
        let stream = try checkout()
        do {
            let replies = try exchange(stream, commands)
            checkin(stream)
            return replies
        } catch {
            stream.close()
            lock.withLock { open -= 1 }
            throw error
        }
    }

    private func exchange(_ stream: ClientStream, _ commands: [[String]]) throws -> [RESPValue] {
        var out: [UInt8] = []
        for c in commands { out += RESP.encode(c) }
        try stream.write(Data(out))
        var buffer: [UInt8] = []
        var at = 0
        var replies: [RESPValue] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while replies.count < commands.count {
            if let (value, next) = try RESP.parse(buffer, from: at) {
                replies.append(value)
                at = next
                continue
            }
            let n = try chunk.withUnsafeMutableBytes { try stream.read(into: $0) }
            guard n > 0 else { throw RESPError("connection closed by the server") }
            buffer += chunk[0..<n]
        }
        guard at == buffer.count else { throw RESPError("unexpected bytes after the replies") }
        return replies
    }

    /// An idle connection that is still good, or a new one (AUTH, SELECT) while under `poolSize`.
    private func checkout() throws -> ClientStream {
        while true {
            let reused: ClientStream? = lock.withLock {
                while let last = idle.popLast() {
                    if last.stream.isReusable && Date().timeIntervalSince(last.since) < settings.idleTimeout { return last.stream }
                    last.stream.close()
                    open -= 1
                }
                return nil
            }
            if let reused { return reused }
            let allowed: Bool = lock.withLock {
                guard open < settings.poolSize else { return false }
                open += 1
                return true
            }
            guard allowed else { throw RESPError("all \(settings.poolSize) connections are busy (redis.poolsize)") }
            do {
                return try connect()
            } catch {
                lock.withLock { open -= 1 }
                throw error
            }
        }
    }

    private func connect() throws -> ClientStream {
        let s = settings
        let stream = try ClientStream.open(host: s.host, port: s.port, tls: s.tls, trust: s.trust,
                                           connectTimeout: s.dialTimeout, ioTimeout: s.ioTimeout)
        lock.withLock { opened += 1 }
        var setup: [[String]] = []
        if let password = s.password { setup.append(["AUTH"] + (s.username.map { [$0] } ?? []) + [password]) }
        if s.db != 0 { setup.append(["SELECT", String(s.db)]) }
        if !setup.isEmpty {
            do {
                for reply in try exchange(stream, setup) {
                    if case .error(let message) = reply { throw RESPError("connection setup refused: \(message)") }
                }
            } catch {
                stream.close()
                throw error
            }
        }
        return stream
    }

    private func checkin(_ stream: ClientStream) {
        let keep: Bool = lock.withLock {
            guard idle.count < settings.maxIdle else { open -= 1; return false }
            idle.append((stream, Date()))
            return true
        }
        if !keep { stream.close() }
    }

    /// Closes the idle connections.
    public func close() {
        let streams = lock.withLock { () -> [ClientStream] in
            defer { open -= idle.count; idle.removeAll() }
            return idle.map(\.stream)
        }
        streams.forEach { $0.close() }
    }
}
