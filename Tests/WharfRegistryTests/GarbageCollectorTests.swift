import Foundation
import WharfAPI
import WharfStorage
import XCTest
@testable import WharfRegistry

/// `wharf garbage-collect`'s mark and sweep (the blob set against distribution's tool is
/// conformance/test_lifecycle_gc.py): what is kept, what is swept, and that nothing
/// referenced is ever deleted.
final class GarbageCollectorTests: XCTestCase {
    private func collect(_ driver: StorageDriver, dryRun: Bool = false, deleteUntagged: Bool = false) async throws -> GarbageCollector.Report {
        try await GarbageCollector(driver: driver, options: .init(dryRun: dryRun, deleteUntagged: deleteUntagged)).run()
    }

    func testSweepsUnreferencedBlobsAndTheirLayerLinks() async throws {
        let layout = LayoutFixture(driver: InMemoryDriver())
        let used = try await layout.layer(in: "ns/app")
        let orphan = try await layout.layer(in: "ns/app")
        let (manifest, config) = try await layout.image("ns/app", layers: [used], tag: "v1")
        let name = try RepositoryName("ns/app")
        // An upload in progress is never looked at.
        let upload = layout.paths.uploadData(name, "5f1c7a3e-upload")
        try await layout.driver.putContent(upload, Data("partial".utf8))

        let report = try await collect(layout.driver)

        let uploadKept = await layout.exists(upload)
        XCTAssertTrue(uploadKept)

        for d in [used, manifest, config] {
            let kept = await layout.stored(d)
            XCTAssertTrue(kept, "\(d)")
        }
        let orphanStored = await layout.stored(orphan)
        let orphanLink = await layout.exists(layout.paths.layerLink(name, orphan))
        let usedLink = await layout.exists(layout.paths.layerLink(name, used))
        XCTAssertFalse(orphanStored)
        XCTAssertFalse(orphanLink)
        XCTAssertTrue(usedLink)
        XCTAssertEqual(report.sweptDigests, [orphan.string])
        XCTAssertEqual(report.bytesFreed, 64)
        XCTAssertEqual(report.linksRemoved, 1)
        XCTAssertEqual(report.repositories, 1)
        XCTAssertEqual(report.problems, [])
    }

    func testDryRunDeletesNothing() async throws {
        let layout = LayoutFixture(driver: InMemoryDriver())
        let orphan = try await layout.layer(in: "ns/app")
        let old = try await layout.image("ns/app", layers: [try await layout.layer(in: "ns/app")], tag: "v1")
        try await layout.image("ns/app", layers: [], tag: "v1")

        let report = try await collect(layout.driver, dryRun: true, deleteUntagged: true)

        XCTAssertTrue(report.dryRun)
        XCTAssertEqual(report.manifestsRemoved, 1)
        XCTAssertEqual(report.blobsSwept, 4)  // orphan, old manifest, its config and layer
        for d in [orphan, old.manifest, old.config] {
            let stored = await layout.stored(d)
            XCTAssertTrue(stored, "\(d)")
        }
        let revision = await layout.exists(layout.paths.revisionLink(try RepositoryName("ns/app"), old.manifest))
        XCTAssertTrue(revision)
    }

    func testWithoutDeleteUntaggedEveryRevisionKeepsItsBlobs() async throws {
        let layout = LayoutFixture(driver: InMemoryDriver())
        let oldLayer = try await layout.layer(in: "ns/app")
        let old = try await layout.image("ns/app", layers: [oldLayer], tag: "v1")
        try await layout.image("ns/app", layers: [], tag: "v1")
        let untagged = try await layout.image("other", layers: [try await layout.layer(in: "other")])

        let report = try await collect(layout.driver)

        XCTAssertEqual(report.blobsSwept, 0)
        for d in [oldLayer, old.manifest, old.config, untagged.manifest, untagged.config] {
            let stored = await layout.stored(d)
            XCTAssertTrue(stored, "\(d)")
        }
    }

    func testDeleteUntaggedKeepsIndexChildrenAndReferrersOfKeptManifests() async throws {
        let layout = LayoutFixture(driver: InMemoryDriver())
        let repo = "ns/app"
        let name = try RepositoryName(repo)
        // v1 retagged: the old revision goes, with its own layer and its tag history entry.
        let oldLayer = try await layout.layer(in: repo)
        let old = try await layout.image(repo, layers: [oldLayer], tag: "v1")
        let current = try await layout.image(repo, layers: [try await layout.layer(in: repo)], tag: "v1")
        // A tagged index over children pushed by digest: the children and their blobs stay.
        let childLayer = try await layout.layer(in: repo)
        let child = try await layout.image(repo, layers: [childLayer])
        let index = try await layout.index(repo, children: [child.manifest], tag: "multi")
        // Referrers (pushed by digest) of the kept image, and a referrer of that referrer, stay;
        // a referrer of the removed revision goes.
        let signatureLayer = try await layout.layer(in: repo)
        let signature = try await layout.image(repo, layers: [signatureLayer], subject: current.manifest)
        let countersign = try await layout.image(repo, layers: [], subject: signature.manifest)
        let orphanedReferrer = try await layout.image(repo, layers: [], subject: old.manifest)

        let report = try await collect(layout.driver, deleteUntagged: true)

        for d in [child.config, childLayer, signatureLayer] {
            let stored = await layout.stored(d)
            XCTAssertTrue(stored, "\(d)")
        }
        for d in [current.manifest, index, child.manifest, signature.manifest, countersign.manifest] {
            let stored = await layout.stored(d)
            let linked = await layout.exists(layout.paths.revisionLink(name, d))
            XCTAssertTrue(stored && linked, "\(d)")
        }
        for d in [old.manifest, old.config, oldLayer, orphanedReferrer.manifest] {
            let stored = await layout.stored(d)
            XCTAssertFalse(stored, "\(d)")
        }
        let oldRevision = await layout.exists(layout.paths.revisionDirectory(name, old.manifest))
        let oldHistory = await layout.exists(layout.paths.tagIndexLink(name, Tag("v1")!, old.manifest))
        let currentHistory = await layout.exists(layout.paths.tagIndexLink(name, Tag("v1")!, current.manifest))
        let oldReferrerEntry = await layout.exists(layout.paths.referrerLink(name, subject: old.manifest, referrer: orphanedReferrer.manifest))
        let keptReferrerEntry = await layout.exists(layout.paths.referrerLink(name, subject: current.manifest, referrer: signature.manifest))
        XCTAssertFalse(oldRevision)
        XCTAssertFalse(oldHistory)
        XCTAssertTrue(currentHistory)
        XCTAssertFalse(oldReferrerEntry)
        XCTAssertTrue(keptReferrerEntry)
        XCTAssertEqual(report.manifestsRemoved, 2)
    }

    func testManifestThatCannotBeParsedKeepsEveryDigestInIt() async throws {
        let layout = LayoutFixture(driver: InMemoryDriver())
        let inGarbage = try await layout.layer(in: "ns/app")
        let inWeird = try await layout.layer(in: "ns/app")
        let inSchema1 = try await layout.layer(in: "ns/app")
        let garbage = try await layout.manifest("ns/app", Data("not json, but it names \(inGarbage) somewhere".utf8))
        let weird = try await layout.manifest("ns/app", Data(("{\"schemaVersion\":2,\"mediaType\":\"application/x-unknown\","
            + "\"blobs\":[{\"digest\":\"\(inWeird)\"}]}").utf8))
        _ = try await layout.manifest("ns/app", Data("{\"schemaVersion\":1,\"fsLayers\":[{\"blobSum\":\"\(inSchema1)\"}]}".utf8), tag: "old")

        // Untagged and unreadable: what it is cannot be known, so it is not removed either.
        let report = try await collect(layout.driver, deleteUntagged: true)

        for d in [inGarbage, inWeird, inSchema1, garbage, weird] {
            let stored = await layout.stored(d)
            XCTAssertTrue(stored, "\(d)")
        }
        XCTAssertEqual(report.blobsSwept, 0)
        XCTAssertEqual(report.manifestsRemoved, 0)
        XCTAssertEqual(report.problems.count, 2, "\(report.problems)")
        XCTAssertTrue(report.problems.contains { $0.contains(garbage.string) })
        XCTAssertTrue(report.problems.contains { $0.contains(weird.string) })
    }

    func testDanglingRevisionLinkIsRemovedAndReported() async throws {
        let layout = LayoutFixture(driver: InMemoryDriver())
        let name = try RepositoryName("ns/app")
        let missing = Digest.of(Array("gone".utf8))
        try await layout.driver.putContent(layout.paths.revisionLink(name, missing), Data(missing.string.utf8))
        try await layout.image("ns/app", layers: [], tag: "v1")

        let report = try await collect(layout.driver)

        let revision = await layout.exists(layout.paths.revisionDirectory(name, missing))
        XCTAssertFalse(revision)
        XCTAssertEqual(report.linksRemoved, 1)
        XCTAssertTrue(report.problems.contains { $0.contains(missing.string) })
    }

    func testStorageErrorWhileMarkingSweepsNothing() async throws {
        let driver = FailingReads(inner: InMemoryDriver())
        let layout = LayoutFixture(driver: driver)
        let orphan = try await layout.layer(in: "ns/app")
        let (manifest, _) = try await layout.image("ns/app", layers: [try await layout.layer(in: "ns/app")], tag: "v1")
        driver.failing = layout.paths.blobData(manifest)

        do {
            _ = try await collect(driver)
            XCTFail("expected the storage error")
        } catch let error as StorageError {
            XCTAssertEqual(error, .unavailable(driver: "test", message: "flaky"))
        }
        let stored = await layout.stored(orphan)
        XCTAssertTrue(stored)
    }

    func testRepositoriesOfManifestsAloneAreMarked() async throws {
        // Distribution only finds repositories by `_layers`; one without it keeps its manifests' blobs here.
        let layout = LayoutFixture(driver: InMemoryDriver())
        let shared = try await layout.blob(Data("layer".utf8))
        let (manifest, config) = try await layout.image("bare", layers: [shared], tag: "v1")
        try await layout.driver.delete(layout.paths.layersRoot(try RepositoryName("bare")))

        let report = try await collect(layout.driver)

        XCTAssertEqual(report.repositories, 1)
        for d in [shared, manifest, config] {
            let stored = await layout.stored(d)
            XCTAssertTrue(stored, "\(d)")
        }
    }
}

/// An in-memory driver whose `getContent` of one path fails as an unreachable backend would.
final class FailingReads: ForwardingDriver, @unchecked Sendable {
    let inner: InMemoryDriver
    var failing: String?

    init(inner: InMemoryDriver) { self.inner = inner }

    func getContent(_ path: String) async throws -> Data {
        if path == failing { throw StorageError.unavailable(driver: "test", message: "flaky") }
        return try await inner.getContent(path)
    }
}
