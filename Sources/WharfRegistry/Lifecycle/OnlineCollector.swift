import Foundation
import WharfAPI
import WharfHTTP
import WharfMetrics
import WharfStorage

/// Garbage collection inside `serve` (`storage.maintenance.gc`), safe while clients push
/// and while other replicas run. Each pass, under the lease (``CollectorLease``):
///
/// 1. mark 1: candidates are blobs no kept manifest references whose data is older than
///    the grace period, and (with `deleteUntagged`) untagged revisions whose link is;
/// 2. publish the candidates as a ``CollectionPlan`` and wait until its `sweepAfter`;
/// 3. mark 2, a full re-mark: only candidates still unmarked (and still old) are deleted,
///    then the `_layers` links to the blobs deleted, only while the plan is live; then the
///    plan is deleted.
///
/// A manifest PUT re-reads the plans after writing its links (``ManifestStore``) and fails
/// MANIFEST_BLOB_UNKNOWN when it may have raced a sweep. Uploads in progress
/// (`_uploads`) are never read or touched. The argument is in docs/operations.md.
public final class OnlineCollector: @unchecked Sendable {
    /// `storage.maintenance.gc.*`.
    public struct Settings: Sendable {
        /// Seconds between passes.
        public var interval: Double
        /// Blobs and revisions written more recently than this many seconds are never deleted.
        public var gracePeriod: Double
        /// Also remove manifest revisions no tag reaches.
        public var deleteUntagged: Bool
        /// Log and count what would be deleted; delete nothing, publish no plan.
        public var dryRun: Bool
        /// Seconds between publishing a plan and mark 2 (T).
        public var sweepDelay: Double = 30
        /// Seconds a lease lasts without renewal.
        public var leaseDuration: Double = 60
        /// The longest a sweep may take after `sweepAfter` before its plan expires.
        public var maxSweep: Double = 300
        /// The largest clock difference between replicas tolerated, in seconds.
        public var clockSkew: Double = 5
        /// Tests only (`WHARF_TEST_GC_SWEEP_PAUSE`): seconds between mark 2 and the first
        /// deletion, to force a manifest PUT into that window.
        public var testSweepPause: Double = 0
        /// Tests only (`WHARF_TEST_GC_LINK_PAUSE`): seconds between the last blob deletion
        /// and the deletion of their `_layers` links, to force a push into that window.
        public var testLinkPause: Double = 0

        public init(interval: Double, gracePeriod: Double, deleteUntagged: Bool, dryRun: Bool) {
            self.interval = interval
            self.gracePeriod = gracePeriod
            self.deleteUntagged = deleteUntagged
            self.dryRun = dryRun
        }
    }

    /// What one pass did.
    public struct Report: Sendable, Equatable {
        /// `success`, `failure`, `skipped` (another replica holds the lease) or `expired`
        /// (the plan ran out of time; the rest waits for the next pass).
        public var result = "success"
        public var repositories = 0
        public var candidates = 0
        public var blobsDeleted = 0
        public var bytesFreed: Int64 = 0
        public var revisionsDeleted = 0
        /// `_layers` links of the blobs deleted, removed.
        public var linksDeleted = 0
        public var problems = 0
        public var seconds = 0.0
        public var error: String?
    }

    let driver: StorageDriver
    let paths: RegistryPaths
    let holder: String
    /// The registry's link files (and their cache), so removed revisions leave it too.
    let links: LinkFiles
    let settings: Settings
    let logger: Logger
    let metrics: RegistryMetrics?
    /// Drops deleted digests from this replica's caches.
    let forget: @Sendable ([Digest]) -> Void
    private let lease: CollectorLease
    private let lock = NSLock()
    private var task: Task<Void, Never>?

    init(driver: StorageDriver, paths: RegistryPaths, holder: String, links: LinkFiles, settings: Settings, logger: Logger,
         metrics: RegistryMetrics?, forget: @escaping @Sendable ([Digest]) -> Void) {
        self.driver = driver
        self.paths = paths
        self.holder = holder
        self.links = links
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.forget = forget
        lease = CollectorLease(driver: driver, path: paths.collectorLease, holder: holder, duration: settings.leaseDuration)
    }

    /// One pass now: under the lease, or skipped when another replica holds it.
    @discardableResult
    public func runOnce() async -> Report {
        var report = Report()
        let start = Date()
        do {
            guard try await lease.acquire() else {
                report.result = "skipped"
                logger.debug("online gc: another replica holds the lease, skipped")
                metrics?.gcRun(result: report.result, blobsDeleted: 0, bytesFreed: 0, seconds: 0)
                return report
            }
            logger.info("online gc: start", ["holder": holder, "graceperiod": "\(Int(settings.gracePeriod))s",
                                             "deleteuntagged": "\(settings.deleteUntagged)", "dryrun": "\(settings.dryRun)"])
            let renewal = renewWhileRunning()
            defer { renewal.cancel() }
            try await removeStalePlans()
            report.result = try await collect(report: &report)
        } catch {
            report.result = "failure"
            report.error = "\(error)"
        }
        report.seconds = Date().timeIntervalSince(start)
        metrics?.gcRun(result: report.result, blobsDeleted: settings.dryRun ? 0 : report.blobsDeleted,
                       bytesFreed: settings.dryRun ? 0 : report.bytesFreed, seconds: report.seconds)
        let fields: KeyValuePairs<String, String> = [
            "result": report.result, "repositories": "\(report.repositories)", "candidates": "\(report.candidates)",
            "blobs_deleted": "\(report.blobsDeleted)", "bytes_freed": "\(report.bytesFreed)",
            "revisions_deleted": "\(report.revisionsDeleted)", "links_deleted": "\(report.linksDeleted)", "problems": "\(report.problems)",
            "dryrun": "\(settings.dryRun)", "duration": String(format: "%.3fs", report.seconds), "error": report.error ?? "",
        ]
        if report.result == "failure" { logger.error("online gc: done", fields) } else { logger.info("online gc: done", fields) }
        return report
    }

    /// Renews the lease every third of its duration until cancelled.
    private func renewWhileRunning() -> Task<Void, Never> {
        Task { [lease, logger] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(lease.duration / 3 * 1e9))
                if Task.isCancelled { return }
                if (try? await lease.renew()) == false {
                    logger.warn("online gc: lease taken by another replica; finishing this pass (safe, only slower)")
                }
            }
        }
    }

    /// Deletes plans that expired (a collector died mid-pass) or cannot be read and are old:
    /// until then a manifest PUT that meets one refuses to take the risk.
    private func removeStalePlans() async throws {
        let names: [String]
        do { names = try await driver.list(paths.collectorPlans) } catch StorageError.pathNotFound { return }
        let now = Date()
        for path in names {
            let data: Data
            do { data = try await driver.getContent(path) } catch StorageError.pathNotFound { continue }
            let stale: Bool
            if let plan = CollectionPlans.decode(data) {
                stale = now.addingTimeInterval(-2 * plan.clockSkew) > plan.expiresAt
            } else {
                let written = (try? await driver.stat(path).modTime) ?? now
                stale = now.timeIntervalSince(written) > settings.sweepDelay + settings.maxSweep + settings.clockSkew
            }
            if stale {
                logger.info("online gc: removing a stale plan", ["path": path])
                try? await driver.delete(path)
            }
        }
    }

    /// Runs a pass every ``Settings/interval`` until ``cancel()``.
    public func start() {
        let task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(settings.interval * 1e9))
                if Task.isCancelled { return }
                await runOnce()
            }
        }
        lock.withLock { self.task = task }
    }

    /// Stops the schedule and gives the lease up, so another replica collects without
    /// waiting for the expiry (a pass in progress stops at its next wait).
    public func stop() async {
        cancel()
        await lease.release()
    }

    /// Stops the schedule (a pass in progress stops at its next wait; its plan expires on its own).
    public func cancel() {
        lock.withLock {
            task?.cancel()
            task = nil
        }
    }
}
