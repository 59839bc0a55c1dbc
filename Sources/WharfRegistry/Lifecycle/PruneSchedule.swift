import Foundation
import WharfHTTP
import WharfMetrics
import WharfStorage

/// Scheduled pruning inside `serve` (`storage.maintenance.pruning`): a ``Pruner`` run at
/// each time the schedule names, skipped while suspended, its outcome logged and kept in
/// a short history (OpenShift's `successfulJobsHistoryLimit`/`failedJobsHistoryLimit`).
///
/// Replicas may all run it: a prune deletes revisions as API DELETEs do, and deleting a
/// revision twice is harmless.
///
/// ```swift
/// let schedule = PruneSchedule(driver: driver, settings: settings, logger: logger)
/// schedule.start()      // runs at settings.next(now), then again, until cancel()
/// ```
public final class PruneSchedule: @unchecked Sendable {
    /// What to prune and when.
    public struct Settings: Sendable {
        /// Kept revisions and ages; `confirm: false` is a dry run that only logs.
        public var options: Pruner.Options
        /// Skip the scheduled runs.
        public var suspend: Bool
        /// A repository that cannot be read is skipped (true) or fails the run before
        /// anything is deleted (false).
        public var ignoreInvalidImageReferences: Bool
        /// The next run time after a date (a cron schedule); nil: no more runs.
        public var next: @Sendable (Date) -> Date?
        /// How many successful and failed runs ``history`` keeps.
        public var successfulJobsHistoryLimit = 3
        public var failedJobsHistoryLimit = 3

        public init(options: Pruner.Options, suspend: Bool, ignoreInvalidImageReferences: Bool, next: @escaping @Sendable (Date) -> Date?) {
            self.options = options
            self.suspend = suspend
            self.ignoreInvalidImageReferences = ignoreInvalidImageReferences
            self.next = next
        }
    }

    /// One run's outcome.
    public struct Run: Sendable, Equatable, Codable {
        public var started: Date
        public var finished: Date
        public var succeeded: Bool
        /// Revisions pruned (or, in a dry run, that would have been).
        public var revisions: Int
        public var size: Int64
        /// Why it failed.
        public var error: String?
    }

    private let driver: StorageDriver
    /// What this schedule prunes, and how much history it keeps.
    public let settings: Settings
    private let logger: Logger
    private let metrics: RegistryMetrics?
    private let lock = NSLock()
    private var successful: [Run] = []
    private var failed: [Run] = []
    private var task: Task<Void, Never>?
    private let shared: PruneHistory

    /// A schedule over `driver`; each run is counted in `metrics` when given.
    public init(driver: StorageDriver, paths: RegistryPaths = RegistryPaths(), settings: Settings, logger: Logger,
                metrics: RegistryMetrics? = nil) {
        self.driver = driver
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        shared = PruneHistory(driver: driver, paths: paths, successfulLimit: settings.successfulJobsHistoryLimit,
                              failedLimit: settings.failedJobsHistoryLimit)
    }

    /// This replica's latest runs, newest first, within the history limits.
    public var history: (successful: [Run], failed: [Run]) {
        lock.withLock { (successful, failed) }
    }

    /// Every replica's latest runs, newest first, within the history limits, as kept in
    /// storage; this replica's own when storage cannot be read.
    public func sharedHistory() async -> (successful: [Run], failed: [Run]) {
        do {
            return try await shared.latest()
        } catch {
            logger.warn("image prune: cannot read the shared history, showing this replica's", ["error": "\(error)"])
            return history
        }
    }

    /// One prune now (whether or not suspended), recorded and logged.
    @discardableResult
    public func runOnce(now: Date = Date()) async -> Run {
        logger.info("image prune: start", ["keeptagrevisions": "\(settings.options.keepTagRevisions)",
                                            "keepyoungerthan": "\(Int(settings.options.keepYoungerThan))s",
                                            "dryrun": "\(!settings.options.confirm)"])
        var run = Run(started: now, finished: now, succeeded: false, revisions: 0, size: 0, error: nil)
        do {
            if !settings.ignoreInvalidImageReferences {
                var check = settings.options
                check.confirm = false
                let dry = try await Pruner(driver: driver, options: check, logger: logger).run(now: now)
                if !dry.problems.isEmpty {
                    throw PruneRefused(description: "invalid image references (ignoreinvalidimagereferences is false): "
                                       + dry.problems.prefix(3).joined(separator: "; "))
                }
            }
            let report = try await Pruner(driver: driver, options: settings.options, logger: logger).run(now: now)
            for c in report.candidates {
                logger.info(settings.options.confirm ? "image prune: deleted" : "image prune (dry run): would delete",
                            ["repository": c.repository, "tag": c.tag, "digest": c.digest, "subject": c.subject ?? ""])
            }
            for problem in report.problems { logger.warn("image prune: skipped", ["problem": problem]) }
            run.succeeded = true
            run.revisions = report.revisions
            run.size = report.size
        } catch {
            run.error = "\(error)"
        }
        run.finished = Date()
        record(run)
        do {
            try await shared.record(run)
        } catch {
            logger.warn("image prune: cannot record the run in storage", ["error": "\(error)"])
        }
        metrics?.prunerRun(succeeded: run.succeeded, revisionsDeleted: settings.options.confirm ? run.revisions : 0)
        if run.succeeded {
            logger.info("image prune: done", ["revisions": "\(run.revisions)", "bytes": "\(run.size)",
                                               "dryrun": "\(!settings.options.confirm)"])
        } else {
            logger.error("image prune: failed", ["error": run.error ?? ""])
        }
        // The kept history (successfulJobsHistoryLimit / failedJobsHistoryLimit), as GET /extensions/v2/pruner shows it.
        let kept = await sharedHistory()
        let format = ISO8601DateFormatter()
        logger.info("image prune: history", [
            "successful": kept.successful.map { "\(format.string(from: $0.finished)) \($0.revisions) revisions" }.joined(separator: "; "),
            "failed": kept.failed.map { "\(format.string(from: $0.finished)) \($0.error ?? "")" }.joined(separator: "; "),
        ])
        return run
    }

    private func record(_ run: Run) {
        lock.withLock {
            if run.succeeded {
                successful = Array(([run] + successful).prefix(settings.successfulJobsHistoryLimit))
            } else {
                failed = Array(([run] + failed).prefix(settings.failedJobsHistoryLimit))
            }
        }
    }

    /// Runs at every time the schedule names until ``cancel()``; suspended runs are skipped.
    public func start() {
        let task = Task { [self] in
            var now = Date()
            while !Task.isCancelled, let next = settings.next(now) {
                let wait = next.timeIntervalSinceNow
                if wait > 0 {
                    try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
                }
                if Task.isCancelled { return }
                if settings.suspend {
                    logger.info("image prune: suspended, skipped", ["scheduled": "\(next)"])
                } else {
                    await runOnce()
                }
                now = max(Date(), next)
            }
        }
        lock.withLock { self.task = task }
    }

    /// Stops the schedule (a run in progress finishes).
    public func cancel() {
        lock.withLock {
            task?.cancel()
            task = nil
        }
    }
}

/// A prune refused before deleting anything.
struct PruneRefused: Error, CustomStringConvertible {
    var description: String
}
