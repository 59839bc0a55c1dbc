import Foundation
import WharfHTTP
import WharfHTTPClient
import WharfStorage

/// Deletes abandoned uploads: `repositories/<name>/_uploads/<uuid>/` directories older than
/// `storage.maintenance.uploadpurging.age`, as distribution's upload purger does.
///
/// An upload's age comes from its `startedat` file, or, when that is missing or unreadable,
/// from the modification time of its `data` (then of the directory itself). Only `_uploads`
/// directories are looked into; links, manifests and blobs are never touched.
///
/// ```swift
/// let purger = UploadPurger(driver: driver, paths: RegistryPaths(), age: 168 * 3600, dryRun: false, logger: logger)
/// let report = try await purger.purge()          // once
/// purger.schedule(interval: 24 * 3600)           // or every interval, after a random delay
/// ```
///
/// Replicas on one storage may all run it: deleting an upload twice is harmless, and an
/// upload is only purged once it is older than `age` (a week by default), long after any
/// client gave up on it.
public final class UploadPurger: @unchecked Sendable {
    /// What one pass found.
    public struct Report: Equatable, Sendable {
        /// Upload directories deleted (or, in a dry run, that would have been).
        public var purged: [String] = []
        /// Upload directories young enough to keep.
        public var kept = 0
        /// Upload directories whose deletion failed (logged; tried again next pass).
        public var failed = 0
    }

    private let driver: StorageDriver
    private let paths: RegistryPaths
    private let age: TimeInterval
    private let dryRun: Bool
    private let logger: Logger
    private var timer: DispatchSourceTimer?

    /// A purger for uploads older than `age` seconds; `dryRun` only logs.
    public init(driver: StorageDriver, paths: RegistryPaths = RegistryPaths(), age: TimeInterval, dryRun: Bool, logger: Logger) {
        self.driver = driver
        self.paths = paths
        self.age = age
        self.dryRun = dryRun
        self.logger = logger
    }

    /// One pass over every repository's `_uploads`, relative to `now`.
    @discardableResult
    public func purge(now: Date = Date()) async throws -> Report {
        var report = Report()
        var uploadRoots: [String] = []
        do {
            try await driver.walk(paths.repositoriesRoot) { info in
                guard info.isDirectory else { return .continue }
                switch info.path.split(separator: "/").last ?? "" {
                case "_uploads":
                    uploadRoots.append(info.path)
                    return .skipDirectory
                case "_layers", "_manifests", "_referrers":
                    return .skipDirectory
                default:
                    return .continue
                }
            }
        } catch StorageError.pathNotFound {
            return report
        }
        for root in uploadRoots {
            let uploads: [String]
            do { uploads = try await driver.list(root) } catch StorageError.pathNotFound { continue }
            for upload in uploads {
                guard let started = await startTime(of: upload), now.timeIntervalSince(started) > age else {
                    report.kept += 1
                    continue
                }
                if dryRun {
                    report.purged.append(upload)
                    logger.info("upload purge (dry run): would delete", ["path": upload, "startedat": BlobUploadSession.rfc3339(started)])
                    continue
                }
                do {
                    try await driver.delete(upload)
                    report.purged.append(upload)
                    logger.info("upload purge: deleted", ["path": upload, "startedat": BlobUploadSession.rfc3339(started)])
                } catch StorageError.pathNotFound {
                    // Another replica's purger, or the client, got there first.
                } catch {
                    report.failed += 1
                    logger.warn("upload purge: cannot delete", ["path": upload, "error": "\(error)"])
                }
            }
        }
        return report
    }

    /// Purges every `interval` seconds, the first time after a random delay of up to
    /// `min(interval, 1h)`, so replicas started together do not walk the storage at once.
    public func schedule(interval: TimeInterval) {
        let firstDelay = Double.random(in: 0...min(interval, 3600))
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "wharf.upload-purger"))
        timer.schedule(deadline: .now() + firstDelay, repeating: interval, leeway: .seconds(1))
        timer.setEventHandler { [self] in
            // One pass at a time: the next tick waits while this one runs.
            timer.suspend()
            Task {
                defer { timer.resume() }
                do {
                    let report = try await self.purge()
                    self.logger.info("upload purge done", ["purged": "\(report.purged.count)", "kept": "\(report.kept)",
                                                           "failed": "\(report.failed)", "dryrun": "\(self.dryRun)"])
                } catch {
                    self.logger.warn("upload purge failed", ["error": "\(error)"])
                }
            }
        }
        self.timer = timer
        timer.resume()
    }

    /// Stops the schedule.
    public func cancel() {
        timer?.cancel()
        timer = nil
    }

    private func startTime(of upload: String) async -> Date? {
        if let data = try? await driver.getContent(upload + "/startedat"),
           let date = Self.parse(String(decoding: data, as: UTF8.self)) {
            return date
        }
        if let info = try? await driver.stat(upload + "/data") { return info.modTime }
        return try? await driver.stat(upload).modTime
    }

    /// RFC 3339 with or without fractional seconds, as Wharf and distribution write it.
    static func parse(_ text: String) -> Date? { HTTPDate.parseRFC3339(text) }
}
