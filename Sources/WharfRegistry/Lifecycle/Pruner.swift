import Foundation
import WharfAPI
import WharfHTTP
import WharfStorage

/// Prunes old tag revisions with the OpenShift image pruner's meaning
/// (`keepTagRevisions`, `keepYoungerThanDuration`).
///
/// A tag's revisions are its history (``TagHistory``), newest first. Of every tag the
/// newest ``Options/keepTagRevisions`` revisions are kept, and every revision younger than
/// ``Options/keepYoungerThan``, and what any tag points at now. A revision no tag keeps is
/// deleted as an API `DELETE /v2/<name>/manifests/<digest>` deletes it (``ManifestStore``),
/// and leaves every tag's history. What a kept manifest keeps alive is never pruned: the
/// children of a kept index, the referrers (`subject`) of a kept manifest. Referrers of a
/// pruned revision are pruned with it. Blobs are freed by the next garbage collection.
///
/// ```swift
/// let pruner = Pruner(driver: driver, options: .init(keepTagRevisions: 3, keepYoungerThan: 3600, confirm: false))
/// let report = try await pruner.run()      // without confirm: what would be pruned
/// ```
public struct Pruner: Sendable {
    /// What is kept, and whether to delete.
    public struct Options: Sendable, Equatable {
        /// Revisions of every tag kept, newest first.
        public var keepTagRevisions: Int
        /// Revisions younger than this (seconds) are kept.
        public var keepYoungerThan: TimeInterval
        /// Delete; otherwise only report.
        public var confirm: Bool

        public init(keepTagRevisions: Int = 3, keepYoungerThan: TimeInterval = 3600, confirm: Bool = false) {
            self.keepTagRevisions = keepTagRevisions
            self.keepYoungerThan = keepYoungerThan
            self.confirm = confirm
        }
    }

    /// One revision pruned (or, without confirm, that would be).
    public struct Candidate: Sendable, Equatable, Codable {
        public var repository: String
        /// The tag whose history held it; empty for a referrer pruned with its subject.
        public var tag: String
        public var digest: String
        /// For a referrer: the pruned manifest it refers to.
        public var subject: String?
        /// Seconds since the tag last pointed at it (since its subject's, for a referrer).
        public var age: TimeInterval
        /// Bytes of the manifest and the blobs it names directly.
        public var size: Int64
    }

    /// What a run found and did.
    public struct Report: Sendable, Equatable, Codable {
        public var confirm = false
        /// One row per tag history entry (and referrer) pruned.
        public var candidates: [Candidate] = []
        /// Distinct revisions pruned.
        public var revisions = 0
        /// Bytes of the distinct revisions pruned (freed by the next garbage collection
        /// unless other manifests share the blobs).
        public var size: Int64 = 0
        /// Anything that stopped a repository from being pruned.
        public var problems: [String] = []

        public init() {}
    }

    let driver: StorageDriver
    let paths: RegistryPaths
    let options: Options
    let context: RegistryContext

    /// A pruner over `driver`'s layout.
    public init(driver: StorageDriver, paths: RegistryPaths = RegistryPaths(), options: Options, logger: Logger = Logger(level: .error)) {
        self.driver = driver
        self.paths = paths
        self.options = options
        self.context = RegistryContext(options: RegistryOptions(), driver: driver, logger: logger, secret: [])
    }

    /// One pass over every repository, ages relative to `now`.
    public func run(now: Date = Date()) async throws -> Report {
        var report = Report()
        report.confirm = options.confirm
        let collector = GarbageCollector(driver: driver, paths: paths, options: .init(dryRun: true))
        let manifests = MarkSet(driver: driver, paths: paths)
        for name in try await collector.repositories(problems: &report.problems) {
            var problems: [String] = []
            let scan = try await RepositoryScan.read(name, driver: driver, paths: paths,
                                                     load: { try await manifests.references(of: $0) }, problems: &problems)
            guard !scan.keepAll else {
                report.problems += problems + ["\(name.value): not pruned"]
                continue
            }
            try await prune(scan, now: now, manifests: manifests, report: &report)
        }
        return report
    }

    private func prune(_ scan: RepositoryScan, now: Date, manifests: MarkSet, report: inout Report) async throws {
        var histories: [TagHistory] = []
        for tag in scan.tags {
            histories.append(try await TagHistory.read(scan.name, tag, driver: driver, paths: paths))
        }
        var keep: Set<Digest> = []
        for history in histories {
            if let current = history.current { keep.insert(current) }
            for (i, entry) in history.entries.enumerated()
            where i < options.keepTagRevisions || now.timeIntervalSince(entry.pushed) < options.keepYoungerThan {
                keep.insert(entry.digest)
            }
        }
        let protected = scan.reach(from: keep)
        var rows: [Candidate] = []
        var pruned: [Digest] = []
        for history in histories {
            for entry in history.entries where !protected.contains(entry.digest) && scan.revisions[entry.digest] != nil {
                rows.append(Candidate(repository: scan.name.value, tag: history.tag.value, digest: entry.digest.string,
                                      subject: nil, age: now.timeIntervalSince(entry.pushed), size: 0))
                if !pruned.contains(entry.digest) { pruned.append(entry.digest) }
            }
        }
        // Referrers follow their subject (transitively).
        var i = 0
        while i < pruned.count {
            let subject = pruned[i]
            let age = rows.first { $0.digest == subject.string }?.age ?? 0
            for referrer in scan.referrers(of: subject) where !protected.contains(referrer) && !pruned.contains(referrer) {
                rows.append(Candidate(repository: scan.name.value, tag: "", digest: referrer.string, subject: subject.string,
                                      age: age, size: 0))
                pruned.append(referrer)
            }
            i += 1
        }
        var sizes: [String: Int64] = [:]
        for digest in pruned {
            sizes[digest.string] = try await size(of: digest, references: scan.revisions[digest])
        }
        for var row in rows {
            row.size = sizes[row.digest] ?? 0
            report.candidates.append(row)
        }
        report.revisions += pruned.count
        report.size += sizes.values.reduce(0, +)
        guard options.confirm else { return }
        let store = ManifestStore(context: context)
        for digest in pruned {
            _ = try await store.deleteRevision(scan.name, digest)
            for tag in scan.tags {
                try await context.links.delete(StoragePath.parent(paths.tagIndexLink(scan.name, tag, digest)))
            }
        }
    }

    /// The manifest's bytes plus the blobs it names directly (those stored).
    private func size(of digest: Digest, references: ManifestReferences?) async throws -> Int64 {
        var total: Int64 = 0
        for d in [digest] + (references?.blobs ?? []) {
            do { total += try await driver.stat(paths.blobData(d)).size } catch StorageError.pathNotFound {}
        }
        return total
    }
}
