import Foundation
import WharfAPI
import WharfHTTP
import WharfStorage

/// Removes cached tags whose upstream `ttl` has passed since they were last confirmed, as
/// distribution's proxy scheduler expires what it cached: the tag disappears from the tag
/// list (and a repository left without tags from the catalog), and the next pull asks the
/// upstream again. Only the tag link goes: revisions and blobs stay for garbage collection,
/// since other tags and repositories may share them.
///
/// Each pass walks the proxied repositories' `_proxy/tags/*/checkedat` records (one listing
/// per directory, no reads for records the listing's modification time shows to be fresh).
/// Tags with no record (content that was there before the repository was proxied) are never
/// expired. Replicas on one storage may all run it: a record is re-read just before its tag
/// is removed, and removing a tag twice is harmless.
public final class CachedTagExpiry: @unchecked Sendable {
    /// What one pass did.
    public struct Report: Equatable, Sendable {
        /// `repository:tag` of every tag removed.
        public var expired: [String] = []
        /// Records still within their ttl.
        public var kept = 0
        /// Removals that failed (logged; tried again next pass).
        public var failed = 0
    }

    private let context: RegistryContext
    private let cache: PullThroughCache
    private let lock = NSLock()
    private var task: Task<Void, Never>?

    init(context: RegistryContext, cache: PullThroughCache) {
        self.context = context
        self.cache = cache
    }

    /// Seconds between passes: `proxy.expiryinterval`, else half the shortest positive ttl,
    /// between 1 s and 1 h.
    public var interval: TimeInterval {
        if let configured = cache.expiryInterval, configured > 0 { return configured }
        let ttls = cache.upstreams.map(\.upstream.ttl).filter { $0 > 0 }
        return min(3600, max(1, (ttls.min() ?? 7200) / 2))
    }

    /// One pass, relative to `now`.
    @discardableResult
    public func sweep(now: Date = Date()) async throws -> Report {
        var report = Report()
        let paths = context.paths
        let checks = CachedTagChecks(driver: context.driver, paths: paths)
        for root in walkRoots() {
            var due: [(RepositoryName, Tag)] = []
            do {
                try await context.driver.walk(root) { info in
                    let last = info.path.split(separator: "/").last ?? ""
                    if info.isDirectory {
                        return last.hasPrefix("_") && last != "_proxy" ? .skipDirectory : .continue
                    }
                    guard last == "checkedat", let (name, tag) = CachedTagChecks.parse(info.path, repositoriesRoot: paths.repositoriesRoot),
                          let ttl = cache.upstream(forLocal: name.value)?.upstream.ttl, ttl > 0 else { return .continue }
                    if now.timeIntervalSince(info.modTime) < ttl { report.kept += 1 } else { due.append((name, tag)) }
                    return .continue
                }
            } catch StorageError.pathNotFound {
                continue
            }
            for (name, tag) in due {
                guard let ttl = cache.upstream(forLocal: name.value)?.upstream.ttl else { continue }
                // The record itself decides (another replica may have confirmed the tag since the listing).
                if let checked = await checks.checkedAt(name, tag), now.timeIntervalSince(checked) < ttl {
                    report.kept += 1
                    continue
                }
                do {
                    _ = try await ManifestStore(context: context).deleteTag(name, tag)
                    try await checks.remove(name, tag)
                    cache.forgetCheck(name, tag)
                    report.expired.append("\(name.value):\(tag.value)")
                    context.logger.info("pull-through: cached tag expired", ["repository": name.value, "tag": tag.value])
                } catch {
                    report.failed += 1
                    context.logger.warn("pull-through: cannot remove an expired tag",
                                        ["repository": name.value, "tag": tag.value, "error": "\(error)"])
                }
            }
        }
        return report
    }

    /// Where the proxied repositories are: each upstream's prefix, or every repository for
    /// an upstream without one.
    private func walkRoots() -> [String] {
        let root = context.paths.repositoriesRoot
        let prefixes = cache.upstreams.filter { $0.upstream.ttl > 0 }.map(\.upstream.prefix)
        if prefixes.contains("") { return [root] }
        // A prefix inside another (`hub/special` in `hub`) is walked with it.
        let outermost = prefixes.filter { p in !prefixes.contains { p.hasPrefix($0 + "/") } }
        return Set(outermost).sorted().map { "\(root)/\($0)" }
    }

    /// Sweeps every ``interval``, the first pass after a random part of it, so replicas
    /// started together do not walk the storage at once.
    public func start() {
        let interval = self.interval
        let task = Task { [self] in
            var wait = Double.random(in: 0...interval)
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(wait * 1e9))
                if Task.isCancelled { return }
                do {
                    let report = try await sweep()
                    if !report.expired.isEmpty || report.failed > 0 {
                        context.logger.info("pull-through expiry done", ["expired": "\(report.expired.count)",
                                                                         "kept": "\(report.kept)", "failed": "\(report.failed)"])
                    }
                } catch {
                    context.logger.warn("pull-through expiry failed", ["error": "\(error)"])
                }
                wait = interval
            }
        }
        lock.withLock { self.task = task }
    }

    /// Stops the schedule (a pass under way runs to its end).
    public func cancel() {
        lock.withLock {
            task?.cancel()
            task = nil
        }
    }
}
