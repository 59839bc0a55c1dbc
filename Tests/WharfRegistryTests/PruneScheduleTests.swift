import Foundation
import WharfAPI
import WharfHTTP
import WharfMetrics
import WharfStorage
import WharfTestSupport
import XCTest
@testable import WharfRegistry

/// `storage.maintenance.pruning` in serve: runs on schedule, skips while suspended, dry
/// run deletes nothing, history limits, and invalid references refusing a run.
final class PruneScheduleTests: XCTestCase {
    var scratch: URL!
    var layout: LayoutFixture!
    let app = try! RepositoryName("ns/app")

    override func setUpWithError() throws {
        scratch = try makeScratchDirectory("wharf-prune-schedule").url
        layout = LayoutFixture(driver: try FilesystemDriver(root: scratch.path))
    }

    /// `v1` pushed three times, 3h, 2h and 1h ago; oldest first.
    private func history() async throws -> [Digest] {
        var digests: [Digest] = []
        for hours in [3.0, 2, 1] {
            let (digest, _) = try await layout.image(app.value, layers: [], tag: "v1")
            let path = scratch.path + layout.paths.tagIndexLink(app, Tag("v1")!, digest)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-hours * 3600)], ofItemAtPath: path)
            digests.append(digest)
        }
        return digests
    }

    private func schedule(confirm: Bool = true, suspend: Bool = false, ignoreInvalid: Bool = true, metrics: RegistryMetrics? = nil,
                          next: @escaping @Sendable (Date) -> Date? = { _ in nil }) -> PruneSchedule {
        var settings = PruneSchedule.Settings(options: .init(keepTagRevisions: 1, keepYoungerThan: 0, confirm: confirm),
                                              suspend: suspend, ignoreInvalidImageReferences: ignoreInvalid, next: next)
        settings.successfulJobsHistoryLimit = 2
        return PruneSchedule(driver: layout.driver, settings: settings, logger: Logger(level: .error), metrics: metrics)
    }

    private func revisions(_ digests: [Digest]) async -> [Bool] {
        var result: [Bool] = []
        for d in digests { result.append(await layout.exists(layout.paths.revisionLink(app, d))) }
        return result
    }

    func testRunOnceConfirmedDeletesAndDryRunDoesNot() async throws {
        let v1 = try await history()
        let dry = await schedule(confirm: false).runOnce()
        XCTAssertTrue(dry.succeeded)
        XCTAssertEqual(dry.revisions, 2)
        let afterDry = await revisions(v1)
        XCTAssertEqual(afterDry, [true, true, true])

        let metrics = RegistryMetrics(gitVersion: "v0", gitCommit: "x")
        let real = await schedule(metrics: metrics).runOnce()
        XCTAssertTrue(real.succeeded)
        XCTAssertEqual(metrics.prunerRuns.value("success"), 1)
        XCTAssertEqual(metrics.prunerRevisionsDeleted.value(), 2)
        XCTAssertTrue(metrics.exposition().contains("imageregistry_pruner_runs_total{result=\"success\"} 1"), metrics.exposition())
        XCTAssertEqual(real.revisions, 2)
        let afterReal = await revisions(v1)
        XCTAssertEqual(afterReal, [false, false, true])
    }

    func testHistoryKeepsTheNewestRunsWithinTheLimit() async throws {
        let s = schedule(confirm: false)
        for _ in 0..<3 { await s.runOnce() }
        XCTAssertEqual(s.history.successful.count, 2)
        XCTAssertEqual(s.history.failed.count, 0)
        XCTAssertGreaterThanOrEqual(s.history.successful[0].started, s.history.successful[1].started)
    }

    /// Two replicas on one storage: each sees the other's runs (the endpoint answers the
    /// same through any replica), the shared history keeps the newest within the limit
    /// and stores no more than that, and failures are kept apart.
    func testReplicasShareTheHistoryThroughStorage() async throws {
        let a = schedule(confirm: false), b = schedule(confirm: false)
        let first = await a.runOnce()
        let onB = await b.sharedHistory()
        XCTAssertEqual(onB.successful, [first])
        XCTAssertTrue(b.history.successful.isEmpty, "b ran nothing itself")

        let second = await b.runOnce()
        let third = await a.runOnce()
        let both = await a.sharedHistory()
        XCTAssertEqual(both.successful, [third, second])
        XCTAssertEqual(both.failed, [])
        let stored = try await layout.driver.list(layout.paths.prunerRoot + "/successful")
        XCTAssertEqual(stored.count, 2, "trimmed to successfulJobsHistoryLimit")

        try await layout.driver.putContent(layout.paths.tagCurrentLink(app, Tag("broken")!), Data("garbage".utf8))
        let failed = await schedule(ignoreInvalid: false).runOnce()
        let afterFailure = await b.sharedHistory()
        XCTAssertEqual(afterFailure.failed, [failed])
        XCTAssertEqual(afterFailure.successful, [third, second])
    }

    func testInvalidReferencesFailTheRunBeforeDeletingWhenNotIgnored() async throws {
        let v1 = try await history()
        // A tag whose current link holds garbage: the repository cannot be read.
        try await layout.driver.putContent(layout.paths.tagCurrentLink(app, Tag("broken")!), Data("garbage".utf8))

        let metrics = RegistryMetrics(gitVersion: "v0", gitCommit: "x")
        let refused = await schedule(ignoreInvalid: false, metrics: metrics).runOnce()
        XCTAssertFalse(refused.succeeded)
        XCTAssertEqual(metrics.prunerRuns.value("failure"), 1)
        XCTAssertTrue(refused.error?.contains("invalid image references") ?? false, refused.error ?? "")
        let s = schedule(ignoreInvalid: false)
        await s.runOnce()
        XCTAssertEqual(s.history.failed.count, 1)
        let kept = await revisions(v1)
        XCTAssertEqual(kept, [true, true, true])

        // Ignored (the default): the unreadable repository is skipped, the run succeeds.
        let skipped = await schedule().runOnce()
        XCTAssertTrue(skipped.succeeded)
    }

    func testStartRunsAtTheScheduledTimesAndSkipsWhileSuspended() async throws {
        let v1 = try await history()
        let fireAt = Date().addingTimeInterval(0.2)
        let once: @Sendable (Date) -> Date? = { $0 < fireAt ? fireAt : nil }

        let suspended = schedule(suspend: true, next: once)
        suspended.start()
        try await Task.sleep(nanoseconds: 600_000_000)
        suspended.cancel()
        XCTAssertEqual(suspended.history.successful.count + suspended.history.failed.count, 0)
        let untouched = await revisions(v1)
        XCTAssertEqual(untouched, [true, true, true])

        let fireAgain = Date().addingTimeInterval(0.2)
        let running = schedule(next: { $0 < fireAgain ? fireAgain : nil })
        running.start()
        for _ in 0..<50 where running.history.successful.isEmpty {
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        running.cancel()
        XCTAssertEqual(running.history.successful.count, 1)
        let pruned = await revisions(v1)
        XCTAssertEqual(pruned, [false, false, true])
    }
}
