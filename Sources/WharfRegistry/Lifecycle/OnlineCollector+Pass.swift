import Foundation
import WharfAPI
import WharfStorage

/// One online pass: mark 1, publish the plan, wait, mark 2, sweep what is still unmarked.
extension OnlineCollector {
    /// What mark 1 or mark 2 found.
    struct Marked {
        var marked: Set<Digest> = []
        /// Revisions removable (untagged, older than the grace period) by repository.
        var removable: [RepositoryName: [Digest]] = [:]
        var scans: [RepositoryName: RepositoryScan] = [:]
    }

    /// Marks every kept revision; `allowed` limits which untagged revisions may be removed
    /// (mark 2 only removes what the plan listed). Revisions whose link is younger than the
    /// grace period are kept.
    /// With `layers`, the scans list the `_layers` links too.
    func mark(now: Date, allowed: Set<CollectionPlan.Revision>?, layers: Bool = false, report: inout Report) async throws -> Marked {
        let tools = GarbageCollector(driver: driver, paths: paths, options: .init(deleteUntagged: settings.deleteUntagged))
        let set = MarkSet(driver: driver, paths: paths)
        var result = Marked()
        var problems: [String] = []
        for name in try await tools.repositories(problems: &problems) {
            let scan = try await RepositoryScan.read(name, driver: driver, paths: paths, layers: layers,
                                                     load: { try await set.references(of: $0) }, problems: &problems)
            var removable: [Digest] = []
            let kept = scan.kept(deleteUntagged: settings.deleteUntagged)
            let cutoff = now.addingTimeInterval(-settings.gracePeriod)
            for digest in scan.revisions.keys.sorted() where !kept.contains(digest) {
                if let allowed, !allowed.contains(.init(repository: name.value, digest: digest.string)) { continue }
                // The revision link's time as listed by this mark.
                if let written = scan.revisionTimes[digest], written < cutoff { removable.append(digest) }
            }
            let gone = Set(removable)
            for digest in scan.revisions.keys.sorted() where !gone.contains(digest) {
                try await set.markManifest(digest, problems: &problems)
            }
            if !removable.isEmpty { result.removable[name] = removable }
            result.scans[name] = scan
            report.repositories = result.scans.count
        }
        result.marked = set.marked
        report.problems = problems.count
        return result
    }

    /// Blobs not in `marked` whose data is older than the grace period, as listed.
    func unmarkedBlobs(_ marked: Set<Digest>, now: Date) async throws -> [Digest: StoredBlobs.Blob] {
        let cutoff = now.addingTimeInterval(-settings.gracePeriod)
        var unrecognized: [String] = []
        return try await StoredBlobs.list(driver: driver, paths: paths, unrecognized: &unrecognized)
            .filter { !marked.contains($0.key) && $0.value.modTime < cutoff }
    }

    /// The pass under a held lease. Returns the result label.
    func collect(report: inout Report) async throws -> String {
        let start = Date()
        let first = try await mark(now: start, allowed: nil, report: &report)
        let blobs = try await unmarkedBlobs(first.marked, now: start)
        let revisions = first.removable.flatMap { name, digests in digests.map { CollectionPlan.Revision(repository: name.value, digest: $0.string) } }
        report.candidates = blobs.count + revisions.count
        logger.info("online gc: marked", ["repositories": "\(report.repositories)", "blobs_marked": "\(first.marked.count)",
                                          "candidate_blobs": "\(blobs.count)", "candidate_revisions": "\(revisions.count)"])
        if report.candidates == 0 { return "success" }
        if settings.dryRun {
            report.blobsDeleted = blobs.count
            report.bytesFreed = blobs.values.reduce(0) { $0 + $1.size }
            report.revisionsDeleted = revisions.count
            return "success"
        }

        let published = Date()
        let plan = CollectionPlan(holder: holder, blobs: blobs.keys.map(\.string).sorted(), revisions: revisions.sorted { ($0.repository, $0.digest) < ($1.repository, $1.digest) },
                                  publishedAt: published, sweepAfter: published.addingTimeInterval(settings.sweepDelay),
                                  expiresAt: published.addingTimeInterval(settings.sweepDelay + settings.maxSweep),
                                  clockSkew: settings.clockSkew)
        let planPath = paths.collectorPlan(holder)
        try await driver.putContent(planPath, try CollectionPlans.encode(plan))
        logger.info("online gc: plan published", ["sweep_after": "\(settings.sweepDelay)s"])
        let result: String
        do {
            let wait = plan.sweepAfter.timeIntervalSinceNow
            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
            // Mark 2: every link written before sweepAfter is seen here.
            let second = try await mark(now: Date(), allowed: Set(plan.revisions), layers: true, report: &report)
            if settings.testSweepPause > 0 { try await Task.sleep(nanoseconds: UInt64(settings.testSweepPause * 1e9)) }
            result = try await sweep(plan: plan, second: second, candidates: blobs, report: &report)
        } catch {
            try? await driver.delete(planPath)
            throw error
        }
        try? await driver.delete(planPath)
        return result
    }

    /// Deletes the plan's revisions and blobs mark 2 left unmarked, while the plan is live.
    ///
    /// Blobs are listed again here, after mark 2, and deleted a batch at a time as the
    /// listing goes: a candidate whose data is young again (the same bytes uploaded since
    /// mark 1) is kept, and no blob waits longer than one batch between that check and its
    /// deletion. Nothing is statted one by one.
    func sweep(plan: CollectionPlan, second: Marked, candidates: [Digest: StoredBlobs.Blob], report: inout Report) async throws -> String {
        func inTime() -> Bool { Date().addingTimeInterval(plan.clockSkew) < plan.expiresAt }
        let tools = GarbageCollector(driver: driver, paths: paths, options: .init(deleteUntagged: true))
        var forgotten: [Digest] = []
        defer { forget(forgotten) }
        for (name, digests) in second.removable.sorted(by: { $0.key.value < $1.key.value }) {
            guard let scan = second.scans[name] else { continue }
            for digest in digests {
                guard inTime() else { return "expired" }
                try await tools.removeRevision(scan, digest, links: links)
                report.revisionsDeleted += 1
                forgotten.append(digest)
            }
        }
        let cutoff = Date().addingTimeInterval(-settings.gracePeriod)
        var batch: [(Digest, StoredBlobs.Blob)] = []
        var swept: Set<Digest> = []
        var counts = (blobs: report.blobsDeleted, bytes: report.bytesFreed)
        func flush() async throws {
            guard !batch.isEmpty else { return }
            guard inTime() else { throw SweepExpired() }
            try await driver.deleteListed(batch.map { $0.1.directory($0.0, paths: paths) })
            for (digest, blob) in batch {
                counts.blobs += 1
                counts.bytes += blob.size
                forgotten.append(digest)
                swept.insert(digest)
            }
            batch.removeAll(keepingCapacity: true)
            logger.info("online gc: sweeping", ["blobs_deleted": "\(counts.blobs)", "bytes_freed": "\(counts.bytes)"])
        }
        do {
            try await StoredBlobs.walk(driver: driver, paths: paths) { info, digest in
                // Written again since mark 1 (a new upload of the same bytes): young again, kept.
                guard let digest, var blob = candidates[digest], !second.marked.contains(digest), info.modTime < cutoff else { return }
                if !blob.files.contains(info.path) { blob.files.append(info.path) }
                blob.size = info.size
                batch.append((digest, blob))
                if batch.count >= GarbageCollector.sweepBatch { try await flush() }
            }
            try await flush()
        } catch is SweepExpired {
            (report.blobsDeleted, report.bytesFreed) = counts
            return "expired"
        }
        (report.blobsDeleted, report.bytesFreed) = counts
        return try await sweepLayerLinks(of: swept, plan: plan, second: second, report: &report)
    }

    /// Deletes the `_layers` links of the blobs this sweep deleted that mark 2 listed as
    /// written before the plan, while the plan is live. A push of the same blob racing this
    /// rewrites a link deleted here; the manifest PUT then finds its blob unlinked when it
    /// checks its blobs again (``ManifestStore``) and fails, so no stored manifest
    /// references a blob its repository cannot serve (docs/operations.md).
    func sweepLayerLinks(of swept: Set<Digest>, plan: CollectionPlan, second: Marked, report: inout Report) async throws -> String {
        guard !swept.isEmpty else { return "success" }
        if settings.testLinkPause > 0 { try await Task.sleep(nanoseconds: UInt64(settings.testLinkPause * 1e9)) }
        var stale: [ListedDirectory] = []
        for (_, scan) in second.scans.sorted(by: { $0.key.value < $1.key.value }) {
            for (path, digest, written) in scan.layerLinks where swept.contains(digest) && written < plan.publishedAt {
                stale.append(ListedDirectory(path: StoragePath.parent(path), files: [path]))
            }
        }
        var start = 0
        while start < stale.count {
            guard Date().addingTimeInterval(plan.clockSkew) < plan.expiresAt else { return "expired" }
            let chunk = Array(stale[start..<min(stale.count, start + GarbageCollector.sweepBatch)])
            try await links.deleteListed(chunk)
            report.linksDeleted += chunk.count
            start += chunk.count
        }
        return "success"
    }
}

/// The plan ran out of time in the middle of a sweep.
private struct SweepExpired: Error {}
