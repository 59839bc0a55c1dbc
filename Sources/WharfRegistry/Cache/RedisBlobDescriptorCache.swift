import Foundation
import WharfAPI
import WharfHTTP
import WharfMetrics

/// Blob descriptors in Redis (`storage.cache.blobdescriptor: redis`), shared by every
/// replica, in distribution's key layout: `blobs::<digest>` (a hash: digest, size,
/// mediatype), `repository::<name>::blobs` (the set of digests the repository links) and
/// `repository::<name>::blobs::<digest>` (the repository's media type for it).
///
/// It stays a cache: a lookup that fails (Redis down, slow, flushed) is a miss, and the
/// caller reads storage; each failure is logged and counted. Deletes drop the entries
/// they make stale.
public final class RedisBlobDescriptorCache: @unchecked Sendable {
    private let client: RedisClient
    private let logger: Logger
    private let metrics: RegistryMetrics?
    private let lock = NSLock()
    private var lastWarning = Date.distantPast
    private var unavailableUntil = Date.distantPast
    /// Seconds lookups skip Redis after it failed to answer.
    static let retryAfter: TimeInterval = 1

    public init(client: RedisClient, logger: Logger, metrics: RegistryMetrics?) {
        self.client = client
        self.logger = logger
        self.metrics = metrics
    }

    static func blobKey(_ digest: Digest) -> String { "blobs::\(digest.string)" }
    static func repositoryKey(_ name: RepositoryName) -> String { "repository::\(name.value)::blobs" }
    static func repositoryBlobKey(_ name: RepositoryName, _ digest: Digest) -> String { "repository::\(name.value)::blobs::\(digest.string)" }

    /// The size of `digest` as linked by `name`, or nil (not cached, or Redis failed).
    func size(_ name: RepositoryName, _ digest: Digest) async -> Int64? {
        guard let replies = await run("lookup", [["SISMEMBER", Self.repositoryKey(name), digest.string],
                                                 ["HGET", Self.blobKey(digest), "size"]]) else { return nil }
        guard replies[0] == .integer(1), let text = replies[1].text, let size = Int64(text), size >= 0 else {
            metrics?.digestCacheLookup(hit: false, scoped: true)
            return nil
        }
        metrics?.digestCacheLookup(hit: true, scoped: true)
        return size
    }

    /// Records that `name` links `digest` of `size` bytes.
    func remember(_ name: RepositoryName, _ digest: Digest, size: Int64, mediaType: String = "application/octet-stream") async {
        _ = await run("store", [
            ["HSET", Self.blobKey(digest), "digest", digest.string, "size", String(size), "mediatype", mediaType],
            ["SADD", Self.repositoryKey(name), digest.string],
            ["HSET", Self.repositoryBlobKey(name, digest), "digest", digest.string, "mediatype", mediaType],
        ])
    }

    /// Drops `name`'s entry for `digest` (the link was deleted).
    func forget(_ name: RepositoryName, _ digest: Digest) async {
        _ = await run("delete", [["SREM", Self.repositoryKey(name), digest.string], ["DEL", Self.repositoryBlobKey(name, digest)]])
    }

    /// Drops the global descriptors of `digests` (garbage collection removed their bytes);
    /// false when Redis could not be told.
    public func forgetBlobs(_ digests: [Digest]) async -> Bool {
        guard !digests.isEmpty else { return true }
        var ok = true
        var start = 0
        while start < digests.count {
            let batch = digests[start..<min(start + 512, digests.count)]
            if await run("delete", [["DEL"] + batch.map(Self.blobKey)]) == nil { ok = false }
            start += 512
        }
        return ok
    }

    /// The replies, or nil after logging and counting a failure (connection, timeout, or an error reply).
    /// After a failure, lookups and stores skip Redis for ``retryAfter`` seconds, so an
    /// unreachable server costs one timeout, not one per request; deletes always try.
    private func run(_ operation: String, _ commands: [[String]]) async -> [RESPValue]? {
        if operation != "delete", lock.withLock({ Date() < unavailableUntil }) { return nil }
        do {
            let replies = try await client.pipeline(commands)
            if let failed = replies.first(where: { if case .error = $0 { return true } else { return false } }) {
                throw RESPError("Redis answered \(failed)")
            }
            return replies
        } catch {
            metrics?.redisCacheError(operation: operation)
            // One line per 10 s at most: a Redis outage must not flood the log.
            let warn: Bool = lock.withLock {
                if !(error is RESPError) || "\(error)".contains("closed") { unavailableUntil = Date().addingTimeInterval(Self.retryAfter) }
                guard Date().timeIntervalSince(lastWarning) >= 10 else { return false }
                lastWarning = Date()
                return true
            }
            if operation == "delete" {
                // A stale entry would outlive the outage unless Redis restarts empty: always say so.
                logger.warn("blob descriptor cache: could not drop entries from Redis; flush its database if it kept its data",
                            ["keys": commands.flatMap { $0.dropFirst().prefix(1) }.joined(separator: " "), "error": "\(error)"])
            } else if warn {
                logger.warn("blob descriptor cache: Redis failed, serving from storage", ["operation": operation, "error": "\(error)"])
            }
            return nil
        }
    }
}
