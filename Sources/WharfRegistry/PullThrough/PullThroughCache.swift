import Foundation
import WharfAPI
import WharfCrypto
import WharfHTTP
import WharfHTTPClient
import WharfMetrics

/// Where a request for a proxied repository goes: the upstream, the upstream's repository
/// name, and the local repository the content is cached in.
struct PullThroughTarget: Sendable {
    let upstream: UpstreamClient
    /// The repository in this registry's storage (catalog and tag lists show it).
    let localName: RepositoryName
    /// The repository at the upstream.
    let remoteName: String
    /// The `?ns=` the client asked for, echoed as `OCI-Namespace`.
    let namespace: String?
}

/// The pull-through cache: repositories under an upstream's prefix (or asked for with its
/// `?ns=`) are filled from that upstream on a miss and served from storage afterwards.
///
/// - Manifests by digest are fetched once and kept; by tag they are revalidated with a
///   HEAD upstream once the upstream's `ttl` has passed since the last check.
/// - Blobs stream to the client while they are written to storage (``BlobFill``), one
///   upstream fetch per digest however many clients ask at once.
/// - When the upstream fails and the content is cached, the cache answers (stale-if-error);
///   with nothing cached the client gets 503/502 with the OCI error JSON.
final class PullThroughCache: @unchecked Sendable {
    /// Every upstream, longest prefix first.
    let upstreams: [UpstreamClient]
    private let fills = BlobFills()
    private let manifestFlights = SingleFlight()
    private let lock = NSLock()
    /// When each cached tag (`local:tag`) was last confirmed upstream, as recorded in storage
    /// (``CachedTagChecks``) by this process or read from there: a shortcut, not the record.
    private var checked: [String: Date] = [:]
    let logger: Logger
    /// `proxy.expiryinterval` (nil: derived from the ttls; 0: no expiry).
    let expiryInterval: Double?

    init(options: PullThroughOptions, logger: Logger, metrics: RegistryMetrics?) throws {
        var config = HTTPClientConfiguration()
        config.trust = HTTPClientTrust(caDirectory: options.trustedCADirectory)
        config.proxy = .environment()
        // 429 is not retried: a throttled upstream is answered from the cache at once.
        config.retry = HTTPRetryPolicy(maxAttempts: 2, retryStatuses: [502, 503, 504])
        config.maxRedirects = 5
        let client = try HTTPClient(configuration: config)
        upstreams = try options.upstreams.sorted { $0.prefix.count > $1.prefix.count }.map {
            try UpstreamClient(upstream: $0, client: client, metrics: metrics)
        }
        self.logger = logger
        expiryInterval = options.expiryInterval
    }

    /// The upstream serving `name` for `request`, or nil for a repository of this registry's own.
    /// `?ns=<registry>` selects the upstream with that namespace (the spec's proxying convention).
    func target(_ name: RepositoryName, _ request: HTTPRequest) throws -> PullThroughTarget? {
        if let ns = request.queryValues("ns").first, !ns.isEmpty,
           let u = upstreams.first(where: { $0.upstream.namespace == ns }) {
            let local = u.upstream.prefix.isEmpty ? name.value : "\(u.upstream.prefix)/\(name.value)"
            return PullThroughTarget(upstream: u, localName: try RepositoryName(local), remoteName: name.value, namespace: ns)
        }
        guard let u = upstream(forLocal: name.value), let remote = u.upstream.remoteName(forLocal: name.value) else { return nil }
        return PullThroughTarget(upstream: u, localName: name, remoteName: remote, namespace: nil)
    }

    /// The upstream whose prefix holds the local repository `name` (the longest), if any.
    func upstream(forLocal name: String) -> UpstreamClient? {
        upstreams.first { $0.upstream.remoteName(forLocal: name).map { !$0.isEmpty } ?? false }
    }

    /// Refuses pushes and deletes to a proxied repository: 405 UNSUPPORTED, as distribution.
    func refuseWrites(_ name: RepositoryName, _ request: HTTPRequest) throws {
        guard let t = try target(name, request) else { return }
        throw RegistryError(.unsupported, detail: "\(name.value) is a pull-through cache of \(t.upstream.upstream.remoteURL): pushes and deletes are refused")
    }

    /// Makes sure the manifest `reference` of `target` is in storage and fresh enough; an
    /// upstream failure with nothing cached is the client's 502/503.
    func ensureManifest(_ target: PullThroughTarget, _ reference: Reference, context: RegistryContext) async throws {
        try await mapFailure(target) { try await refreshManifest(target, reference, context: context) }
    }

    private func refreshManifest(_ target: PullThroughTarget, _ reference: Reference, context: RegistryContext) async throws {
        let store = ManifestStore(context: context)
        let name = target.localName
        switch reference {
        case .digest(let digest):
            if try await store.exists(name, digest), try await store.load(digest) != nil { return }
            try await manifestFlights.run("\(name.value)@\(digest.string)") {
                if try await store.exists(name, digest) { return }
                try await self.fetchManifest(target, reference, tag: nil, context: context)
            }
        case .tag(let tag):
            let cached = try await store.resolve(name, reference)
            if cached != nil, await confirmedRecently(target, tag, context: context) { return }
            do {
                try await manifestFlights.run("\(name.value):\(tag.value)") {
                    if let cached {
                        let head = try await target.upstream.fetch("HEAD", remote: target.remoteName, kind: "manifests",
                                                                   reference: tag.value, unknown: .manifestUnknown)
                        head.body.close()
                        if let d = head.headers["Docker-Content-Digest"].flatMap(Digest.parse), d == cached {
                            await self.recordCheck(target, tag, context: context)
                            return
                        }
                    }
                    try await self.fetchManifest(target, reference, tag: tag, context: context)
                    await self.recordCheck(target, tag, context: context)
                }
            } catch let failure as UpstreamFailure where cached != nil {
                logger.warn("pull-through: serving a cached tag, the upstream failed",
                            ["registry": target.upstream.upstream.name, "repository": name.value, "tag": tag.value, "error": failure.description])
            }
        }
    }

    /// True when `tag` was confirmed upstream less than the upstream's ttl ago, by this
    /// process or (as recorded in storage) by another replica or before a restart.
    private func confirmedRecently(_ target: PullThroughTarget, _ tag: Tag, context: RegistryContext) async -> Bool {
        let ttl = target.upstream.upstream.ttl, key = "\(target.localName.value):\(tag.value)", now = Date()
        if let last = lock.withLock({ checked[key] }), now.timeIntervalSince(last) < ttl { return true }
        guard ttl > 0, let stored = await CachedTagChecks(driver: context.driver, paths: context.paths).checkedAt(target.localName, tag),
              now.timeIntervalSince(stored) < ttl else { return false }
        lock.withLock { checked[key] = stored }
        return true
    }

    /// Records that `tag` was confirmed upstream just now, in storage (where the expiry sweep
    /// reads it) and here. A failed write is logged: other replicas then revalidate the tag,
    /// and the sweep may expire it, sooner than its ttl says.
    private func recordCheck(_ target: PullThroughTarget, _ tag: Tag, context: RegistryContext) async {
        let now = Date()
        lock.withLock { checked["\(target.localName.value):\(tag.value)"] = now }
        guard target.upstream.upstream.ttl > 0 else { return }
        do {
            try await CachedTagChecks(driver: context.driver, paths: context.paths).record(target.localName, tag, at: now)
        } catch {
            logger.warn("pull-through: cannot record a tag's check time", ["repository": target.localName.value, "tag": tag.value,
                                                                         "error": "\(error)"])
        }
    }

    /// Forgets this process's note on `tag` (the expiry sweep removed it).
    func forgetCheck(_ name: RepositoryName, _ tag: Tag) {
        _ = lock.withLock { checked.removeValue(forKey: "\(name.value):\(tag.value)") }
    }

    /// GETs the manifest upstream, checks its digest and stores it exactly as received.
    private func fetchManifest(_ target: PullThroughTarget, _ reference: Reference, tag: Tag?, context: RegistryContext) async throws {
        let response = try await target.upstream.fetch("GET", remote: target.remoteName, kind: "manifests",
                                                       reference: reference.description, unknown: .manifestUnknown)
        let limit = context.options.maxManifestSize
        let data: Data
        do { data = try await response.body.collect(upTo: limit) } catch {
            throw UpstreamFailure(status: 502, message: "manifest \(reference) unreadable or larger than \(limit) bytes: \(error)")
        }
        let algorithm: DigestAlgorithm
        switch reference {
        case .digest(let d): algorithm = d.algorithm
        case .tag: algorithm = .sha256
        }
        let digest = Digest.of([UInt8](data), algorithm)
        if case .digest(let expected) = reference, expected != digest {
            throw UpstreamFailure(status: 502, message: "upstream manifest has digest \(digest), not \(expected)")
        }
        if case .tag = reference, let announced = response.headers["Docker-Content-Digest"].flatMap(Digest.parse),
           announced.algorithm == .sha256, announced != digest {
            throw UpstreamFailure(status: 502, message: "upstream manifest has digest \(digest), the upstream announced \(announced)")
        }
        try await ManifestStore(context: context).storeFetched(target.localName, digest: digest, data: data, tag: tag)
    }

    /// GET or HEAD of a blob of a proxied repository: from storage when cached, else filled from upstream.
    func serveBlob(_ target: PullThroughTarget, _ digest: Digest, request: HTTPRequest, context: RegistryContext) async throws -> HTTPResponse {
        let store = BlobStore(context: context)
        let name = target.localName
        if try await store.stat(name, digest) != nil {
            context.metrics?.pullThroughCacheRequest(hit: true)
            return try await store.serve(name, digest, request: request)
        }
        if try await store.globalSize(digest) != nil {
            // Cached for another repository of this registry: link it, no upstream request.
            context.metrics?.pullThroughCacheRequest(hit: true)
            try await store.link(name, digest)
            return try await store.serve(name, digest, request: request)
        }
        context.metrics?.pullThroughCacheRequest(hit: false)
        let headers: HTTPHeaders = ["Docker-Content-Digest": digest.string, "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"]
        if request.method == "HEAD" {
            let head = try await mapFailure(target) {
                try await target.upstream.fetch("HEAD", remote: target.remoteName, kind: "blobs", reference: digest.string, unknown: .blobUnknown)
            }
            head.body.close()
            return HTTPResponse(status: 200, headers: headers, body: headBody(length: head.body.expectedLength ?? 0))
        }
        let (fill, isNew) = fills.join(digest)
        let queue = request.headers["Range"] == nil ? fill.subscribe() : nil
        if isNew { start(fill, target, context: context) }
        guard let queue else {
            try await mapFailure(target) { try await fill.completion() }
            return try await store.serve(name, digest, request: request)
        }
        let length: Int64?
        do {
            length = try await mapFailure(target) { try await fill.length() }
        } catch {
            queue.cancel()
            throw error
        }
        return HTTPResponse(status: 200, headers: headers, body: .stream(length: length) { writer in
            do {
                while let chunk = try await queue.pop() { try await writer.write(chunk) }
            } catch {
                queue.cancel()
                throw error
            }
        })
    }

    /// Runs `fill` in a task of its own: clients that go away do not cancel it.
    private func start(_ fill: BlobFill, _ target: PullThroughTarget, context: RegistryContext) {
        let fills = self.fills, logger = self.logger
        Task.detached {
            await fill.run(context: context, name: target.localName) {
                let response = try await target.upstream.fetch("GET", remote: target.remoteName, kind: "blobs",
                                                               reference: fill.digest.string, unknown: .blobUnknown)
                let body = response.body
                return (body.expectedLength, { try await body.read(max: 256 * 1024) }, { body.close() })
            }
            fills.remove(fill)
            do { try await fill.completion() } catch {
                logger.warn("pull-through: blob fill failed", ["registry": target.upstream.upstream.name, "repository": target.localName.value,
                                                               "digest": fill.digest.string, "error": "\(error)"])
            }
        }
    }

    /// Upstream failures become the client's 502/503 answer; other errors pass through.
    private func mapFailure<T>(_ target: PullThroughTarget, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let failure as UpstreamFailure {
            logger.warn("pull-through: upstream failed", ["registry": target.upstream.upstream.name, "error": failure.description])
            throw failure.registryError
        }
    }
}

/// Concurrent callers of the same key share one run of the operation.
final class SingleFlight: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [String: Task<Void, Error>] = [:]

    func run(_ key: String, _ operation: @escaping @Sendable () async throws -> Void) async throws {
        let task: Task<Void, Error> = lock.withLock {
            if let t = running[key] { return t }
            let t = Task.detached { try await operation() }
            running[key] = t
            return t
        }
        defer { lock.withLock { if running[key] == task { running[key] = nil } } }
        try await task.value
    }
}
