import Foundation
import WharfAPI
import WharfStorage
import WharfTestSupport
import XCTest
@testable import WharfRegistry

/// `wharf prune`: which tag revisions go (OpenShift pruner's keepTagRevisions and
/// keepYoungerThan), that a dry run deletes nothing, and that referrers follow their subject.
final class PrunerTests: XCTestCase {
    var scratch: URL!
    var layout: LayoutFixture!
    let now = Date()
    let app = try! RepositoryName("ns/app")

    override func setUpWithError() throws {
        scratch = try makeScratchDirectory("wharf-prune").url
        layout = LayoutFixture(driver: try FilesystemDriver(root: scratch.path))
    }

    /// Makes the tag's history entry for `digest` `hoursAgo` old.
    private func age(_ tag: String, _ digest: Digest, hoursAgo: Double, repo: RepositoryName? = nil) throws {
        let path = scratch.path + layout.paths.tagIndexLink(repo ?? app, Tag(tag)!, digest)
        try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-hoursAgo * 3600)], ofItemAtPath: path)
    }

    /// `tag` pushed four times, 4h, 3h, 2h and 1h ago; oldest first.
    private func pushedFourTimes(_ tag: String = "v1") async throws -> [Digest] {
        var digests: [Digest] = []
        for hours in [4.0, 3, 2, 1] {
            let (digest, _) = try await layout.image(app.value, layers: [try await layout.layer(in: app.value)], tag: tag)
            try age(tag, digest, hoursAgo: hours)
            digests.append(digest)
        }
        return digests
    }

    private func prune(keep: Int, youngerThan: TimeInterval = 0, confirm: Bool = true) async throws -> Pruner.Report {
        try await Pruner(driver: layout.driver, options: .init(keepTagRevisions: keep, keepYoungerThan: youngerThan, confirm: confirm)).run(now: now)
    }

    private func isRevision(_ digest: Digest) async -> Bool {
        await layout.exists(layout.paths.revisionLink(app, digest))
    }

    func testKeepsTheNewestRevisionsOfEveryTag() async throws {
        let v1 = try await pushedFourTimes()
        let report = try await prune(keep: 2)

        XCTAssertEqual(report.candidates.map(\.digest), [v1[1].string, v1[0].string])
        XCTAssertEqual(report.candidates.map(\.tag), ["v1", "v1"])
        XCTAssertEqual(report.candidates.map { Int(($0.age / 3600).rounded()) }, [3, 4])
        XCTAssertEqual(report.revisions, 2)
        XCTAssertGreaterThan(report.size, 64 * 2)
        for (i, digest) in v1.enumerated() {
            let revision = await isRevision(digest)
            let history = await layout.exists(layout.paths.tagIndexLink(app, Tag("v1")!, digest))
            XCTAssertEqual(revision, i >= 2, "revision \(i)")
            XCTAssertEqual(history, i >= 2, "history \(i)")
        }
        let current = try await layout.driver.getContent(layout.paths.tagCurrentLink(app, Tag("v1")!))
        XCTAssertEqual(String(decoding: current, as: UTF8.self), v1[3].string)
        // The blobs stay until garbage collection.
        let manifestBytes = await layout.stored(v1[0])
        XCTAssertTrue(manifestBytes)
    }

    func testWithoutConfirmNothingIsDeleted() async throws {
        let v1 = try await pushedFourTimes()
        let report = try await prune(keep: 2, confirm: false)
        XCTAssertFalse(report.confirm)
        XCTAssertEqual(report.revisions, 2)
        for digest in v1 {
            let revision = await isRevision(digest)
            XCTAssertTrue(revision)
        }
    }

    func testRevisionsYoungerThanTheDurationAreKept() async throws {
        let v1 = try await pushedFourTimes()
        let report = try await prune(keep: 1, youngerThan: 2.5 * 3600)
        XCTAssertEqual(report.candidates.map(\.digest), [v1[1].string, v1[0].string])
        let keptYoung = await isRevision(v1[2])
        XCTAssertTrue(keptYoung)
    }

    func testWhatAnyTagKeepsIsNotPruned() async throws {
        let v1 = try await pushedFourTimes()
        // The oldest v1 revision is also what `stable` points at now; the second oldest is
        // a child of the index `multi` points at.
        try await layout.tag(app.value, "stable", v1[0])
        let index = try await layout.index(app.value, children: [v1[1]], tag: "multi")
        _ = index
        let report = try await prune(keep: 1)
        XCTAssertEqual(report.candidates.map(\.digest), [v1[2].string])
        for digest in [v1[0], v1[1], v1[3]] {
            let revision = await isRevision(digest)
            XCTAssertTrue(revision)
        }
    }

    func testReferrersFollowTheirSubject() async throws {
        let v1 = try await pushedFourTimes()
        // A signature of an old revision and a signature of that signature go with it;
        // a signature of a kept revision stays, however old.
        let (oldSignature, _) = try await layout.image(app.value, layers: [], subject: v1[0])
        let (counter, _) = try await layout.image(app.value, layers: [], subject: oldSignature)
        let (keptSignature, _) = try await layout.image(app.value, layers: [], subject: v1[3])

        let report = try await prune(keep: 3)

        XCTAssertEqual(report.candidates.map(\.digest), [v1[0].string, oldSignature.string, counter.string])
        XCTAssertEqual(report.candidates.map(\.subject), [nil, v1[0].string, oldSignature.string])
        for digest in [v1[0], oldSignature, counter] {
            let revision = await isRevision(digest)
            XCTAssertFalse(revision, "\(digest)")
        }
        let referrerEntry = await layout.exists(layout.paths.referrerLink(app, subject: v1[0], referrer: oldSignature))
        XCTAssertFalse(referrerEntry)
        let kept = await isRevision(keptSignature)
        XCTAssertTrue(kept)
    }
}
