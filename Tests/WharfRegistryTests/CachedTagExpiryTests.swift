import Foundation
import WharfAPI
import WharfStorage
import XCTest
@testable import WharfRegistry

/// The pull-through tag expiry sweep: what a pass removes (tag links of proxied
/// repositories whose recorded check is older than their upstream's ttl) and what it never
/// touches (revisions, blobs, tags without a record, repositories no upstream serves).
final class CachedTagExpiryTests: XCTestCase {
    let paths = RegistryPaths()

    private func mirror(_ driver: InMemoryDriver, ttl: Double = 60, expiryInterval: Double? = nil) -> TestRegistry {
        TestRegistry(driver: driver) { options in
            options.pullThrough = PullThroughOptions(upstreams: [
                PullThroughUpstream(name: "hub", prefix: "hub", remoteURL: "http://127.0.0.1:1", ttl: ttl),
            ], expiryInterval: expiryInterval)
        }
    }

    /// A tag of `repo` pointing at `digest`, with a check record written at `checked` (none when nil).
    private func cachedTag(_ driver: StorageDriver, _ repo: String, _ tag: String, digest: Digest, checked: Date?) async throws {
        let name = try RepositoryName(repo), t = Tag(tag)!
        try await driver.putContent(paths.revisionLink(name, digest), Data(digest.string.utf8))
        try await driver.putContent(paths.tagCurrentLink(name, t), Data(digest.string.utf8))
        try await driver.putContent(paths.tagIndexLink(name, t, digest), Data(digest.string.utf8))
        if let checked { try await CachedTagChecks(driver: driver, paths: paths).record(name, t, at: checked) }
    }

    private func exists(_ driver: StorageDriver, _ path: String) async -> Bool { (try? await driver.stat(path)) != nil }

    func testRemovesTagsPastTheirTTLOnly() async throws {
        let driver = InMemoryDriver()
        let registry = mirror(driver)
        let digest = Digest.of(Array("manifest".utf8), .sha256)
        let now = Date()
        try await cachedTag(driver, "hub/library/app", "old", digest: digest, checked: now)
        try await cachedTag(driver, "hub/library/app", "unrecorded", digest: digest, checked: nil)
        try await cachedTag(driver, "own/app", "mine", digest: digest, checked: now)
        let expiry = try XCTUnwrap(registry.registry.cachedTagExpiry())

        var report = try await expiry.sweep(now: now.addingTimeInterval(30))
        XCTAssertEqual(report.expired, [])
        XCTAssertEqual(report.kept, 1)

        report = try await expiry.sweep(now: now.addingTimeInterval(61))
        XCTAssertEqual(report.expired, ["hub/library/app:old"])
        let name = try RepositoryName("hub/library/app")
        let tagGone = await exists(driver, paths.tagDirectory(name, Tag("old")!))
        let recordGone = await exists(driver, paths.proxyTagDirectory(name, Tag("old")!))
        let revision = await exists(driver, paths.revisionLink(name, digest))
        let unrecorded = await exists(driver, paths.tagCurrentLink(name, Tag("unrecorded")!))
        let own = await exists(driver, paths.tagCurrentLink(try RepositoryName("own/app"), Tag("mine")!))
        XCTAssertFalse(tagGone)
        XCTAssertFalse(recordGone)
        XCTAssertTrue(revision, "revisions stay for garbage collection")
        XCTAssertTrue(unrecorded, "a tag with no record was not cached by the proxy")
        XCTAssertTrue(own, "a repository no upstream serves is never swept")
        let listed = try await registry.send("GET", "/v2/hub/library/app/tags/list")
        XCTAssertEqual(listed.json?["tags"] as? [String], ["unrecorded"])

        // A second pass (another replica's, say) finds nothing left to do.
        report = try await expiry.sweep(now: now.addingTimeInterval(61))
        XCTAssertEqual(report.expired, [])
    }

    func testNestedPrefixesAreWalkedOnceWithTheirOwnTTL() async throws {
        let driver = InMemoryDriver()
        let registry = TestRegistry(driver: driver) { options in
            options.pullThrough = PullThroughOptions(upstreams: [
                PullThroughUpstream(name: "hub", prefix: "hub", remoteURL: "http://127.0.0.1:1", ttl: 60),
                PullThroughUpstream(name: "special", prefix: "hub/special", remoteURL: "http://127.0.0.1:2", ttl: 600),
            ])
        }
        let digest = Digest.of(Array("manifest".utf8), .sha256)
        let now = Date()
        try await cachedTag(driver, "hub/app", "v1", digest: digest, checked: now)
        try await cachedTag(driver, "hub/special/app", "v1", digest: digest, checked: now)
        let expiry = try XCTUnwrap(registry.registry.cachedTagExpiry())
        let report = try await expiry.sweep(now: now.addingTimeInterval(120))
        XCTAssertEqual(report.expired, ["hub/app:v1"])
        XCTAssertEqual(report.kept, 1)
    }

    func testTheRecordDecidesOverTheListingsTime() async throws {
        // Another replica confirmed the tag after this pass listed it: the re-read record keeps it.
        let driver = InMemoryDriver()
        let registry = mirror(driver)
        let digest = Digest.of(Array("manifest".utf8), .sha256)
        let later = Date().addingTimeInterval(100)
        try await cachedTag(driver, "hub/app", "v1", digest: digest, checked: later)
        let expiry = try XCTUnwrap(registry.registry.cachedTagExpiry())
        let report = try await expiry.sweep(now: later.addingTimeInterval(-30))
        XCTAssertEqual(report.expired, [])
    }

    func testIntervalAndSwitchingOff() throws {
        XCTAssertEqual(mirror(InMemoryDriver(), ttl: 2).registry.cachedTagExpiry()?.interval, 1)
        XCTAssertEqual(mirror(InMemoryDriver(), ttl: 168 * 3600).registry.cachedTagExpiry()?.interval, 3600)
        XCTAssertEqual(mirror(InMemoryDriver(), expiryInterval: 5).registry.cachedTagExpiry()?.interval, 5)
        XCTAssertNil(mirror(InMemoryDriver(), expiryInterval: 0).registry.cachedTagExpiry())
        XCTAssertNil(TestRegistry().registry.cachedTagExpiry())
    }

    func testRecordPathsParseBack() throws {
        let root = paths.repositoriesRoot
        let parsed = CachedTagChecks.parse("\(root)/hub/library/app/_proxy/tags/v1.2/checkedat", repositoriesRoot: root)
        XCTAssertEqual(parsed?.0.value, "hub/library/app")
        XCTAssertEqual(parsed?.1.value, "v1.2")
        XCTAssertNil(CachedTagChecks.parse("\(root)/hub/app/_proxy/tags/v1/other", repositoriesRoot: root))
        XCTAssertNil(CachedTagChecks.parse("\(root)/hub/app/_proxy/tags/a/b/checkedat", repositoriesRoot: root))
        XCTAssertNil(CachedTagChecks.parse("/elsewhere/hub/app/_proxy/tags/v1/checkedat", repositoriesRoot: root))
    }
}
