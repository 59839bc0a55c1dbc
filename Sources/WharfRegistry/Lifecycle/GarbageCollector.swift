import Foundation
import WharfAPI
import WharfStorage

/// Offline mark and sweep over distribution's layout, on any storage driver, with
/// distribution 2.8's `registry garbage-collect` semantics: on the same storage both
/// delete the same blobs.
///
/// Mark: every manifest revision of every repository (with ``Options/deleteUntagged`` only
/// the tagged ones, the children of kept indexes and the referrers of kept manifests),
/// the manifest's own blob, its config and layers, and an index's children with all they
/// reach. Sweep: every blob under `blobs/` not marked, the revisions not kept (their tag
/// history entries too), then each repository's `_layers` and revision links whose blob
/// is gone.
///
/// Safety before space: a storage error other than "not found" stops the run before
/// anything is swept; a manifest whose structure is not understood keeps every digest
/// that appears in it and is reported in ``Report/problems``. Like distribution's tool it
/// expects no concurrent pushes: run it with the registry stopped or read-only.
///
/// ```swift
/// let gc = GarbageCollector(driver: driver, options: .init(dryRun: true, deleteUntagged: false))
/// let report = try await gc.run()
/// print(report.blobsSwept, report.bytesFreed)
/// ```
public struct GarbageCollector: Sendable {
    /// What the run may delete.
    public struct Options: Sendable, Equatable {
        /// Count what would be deleted; delete nothing.
        public var dryRun: Bool
        /// Remove manifest revisions no tag reaches (distribution's `--delete-untagged`).
        public var deleteUntagged: Bool

        public init(dryRun: Bool = false, deleteUntagged: Bool = false) {
            self.dryRun = dryRun
            self.deleteUntagged = deleteUntagged
        }
    }

    /// What a run found and did (in a dry run: would have done).
    public struct Report: Sendable, Equatable, Codable {
        public var dryRun = false
        public var deleteUntagged = false
        /// Repositories scanned.
        public var repositories = 0
        /// Manifest revisions found (with their bytes stored).
        public var manifests = 0
        /// Manifest revisions removed because no tag reaches them.
        public var manifestsRemoved = 0
        /// Distinct digests marked as in use.
        public var blobsMarked = 0
        /// Blobs under `blobs/` before the sweep.
        public var blobsFound = 0
        /// Blobs deleted.
        public var blobsSwept = 0
        /// Bytes of the deleted blobs.
        public var bytesFreed: Int64 = 0
        /// `_layers` and revision links deleted because their blob is gone.
        public var linksRemoved = 0
        /// Anything odd: manifests read conservatively, dangling or unreadable links.
        public var problems: [String] = []
        /// The digests swept, sorted (for tests and `--output json`).
        public var sweptDigests: [String] = []

        public init() {}
    }

    /// Where a run is, for a progress line.
    public struct Progress: Sendable, Equatable {
        public var phase: String
        public var repositories: Int
        public var manifests: Int
        public var blobsMarked: Int
        public var blobsSwept: Int
        public var bytesFreed: Int64
    }

    let driver: StorageDriver
    let paths: RegistryPaths
    let options: Options
    let progress: (@Sendable (Progress) -> Void)?

    /// A collector over `driver`'s layout rooted at `paths`; `progress` is told as the run advances.
    public init(driver: StorageDriver, paths: RegistryPaths = RegistryPaths(), options: Options,
                progress: (@Sendable (Progress) -> Void)? = nil) {
        self.driver = driver
        self.paths = paths
        self.options = options
        self.progress = progress
    }

    /// One mark and sweep.
    public func run() async throws -> Report {
        var report = Report()
        report.dryRun = options.dryRun
        report.deleteUntagged = options.deleteUntagged
        let mark = MarkSet(driver: driver, paths: paths)
        var scans: [RepositoryScan] = []
        var removals: [(RepositoryScan, [Digest])] = []
        for name in try await repositories(problems: &report.problems) {
            var problems: [String] = []
            let scan = try await RepositoryScan.read(name, driver: driver, paths: paths, layers: true,
                                                     load: { try await mark.references(of: $0) }, problems: &problems)
            report.problems += problems
            let kept = scan.kept(deleteUntagged: options.deleteUntagged)
            for digest in kept.sorted() {
                try await mark.markManifest(digest, problems: &report.problems)
            }
            let removed = scan.revisions.keys.filter { !kept.contains($0) }.sorted()
            if !removed.isEmpty { removals.append((scan, removed)) }
            report.repositories += 1
            report.manifests += scan.revisions.count
            report.manifestsRemoved += removed.count
            scans.append(scan)
            report.blobsMarked = mark.marked.count
            tell("mark", report)
        }
        try await sweep(scans: scans, removals: removals, mark: mark, report: &report)
        tell("done", report)
        return report
    }

    func tell(_ phase: String, _ report: Report) {
        progress?(Progress(phase: phase, repositories: report.repositories, manifests: report.manifests,
                           blobsMarked: report.blobsMarked, blobsSwept: report.blobsSwept, bytesFreed: report.bytesFreed))
    }

    /// Every repository: a directory under `repositories/` holding `_layers` or `_manifests`
    /// (distribution looks for `_layers` only; a repository of manifests alone is kept too).
    func repositories(problems: inout [String]) async throws -> [RepositoryName] {
        let root = paths.repositoriesRoot
        var names: Set<String> = []
        var invalid: [String] = []
        do {
            try await driver.walk(root) { info in
                guard info.isDirectory else { return .continue }
                let last = info.path.split(separator: "/").last ?? ""
                guard last.hasPrefix("_") else { return .continue }
                if last == "_layers" || last == "_manifests" {
                    let repo = String(StoragePath.parent(info.path).dropFirst(root.count + 1))
                    if (try? RepositoryName(repo)) == nil { invalid.append(repo) } else { names.insert(repo) }
                }
                return .skipDirectory
            }
        } catch StorageError.pathNotFound {
            return []
        }
        // A repository that cannot be named cannot be marked: its blobs would be swept.
        if let bad = invalid.first {
            throw StorageError.unknown(driver: driver.name, message: "repository directory '\(bad)' is not a valid repository name; nothing was deleted")
        }
        return try names.sorted().map { try RepositoryName($0) }
    }
}
