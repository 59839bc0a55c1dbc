import Foundation
import WharfAPI
import XCTest
import WharfTestSupport
import WharfStorage
@testable import WharfRegistry

/// Link files answered from memory while their stamp holds, and read again as soon as
/// another replica (another driver on the same root) changes or deletes them.
final class LinkCacheTests: XCTestCase {
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var reads = 0
        func add() { lock.withLock { reads += 1 } }
        var value: Int { lock.withLock { reads } }
    }

    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try makeScratchDirectory("wharf-linkcache").url
    }

    /// Links through a driver counting its `getContent` calls, with a clock `ahead` of real time.
    func links(ahead: Int64 = 10_000_000_000) throws -> (LinkFiles, Counter) {
        let reads = Counter()
        let driver = InstrumentedDriver(try FilesystemDriver(root: scratch.path)) { operation, _, _, _ in
            if operation == InstrumentedDriver.Operation.getContent { reads.add() }
        }
        let cache = LinkCache(capacity: 16, clock: { FileStamp.wallClockNanoseconds() + ahead })
        return (LinkFiles(driver: driver, cache: cache), reads)
    }

    let path = "/docker/registry/v2/repositories/app/_manifests/tags/v1/current/link"
    let one = Digest.parse("sha256:" + String(repeating: "a", count: 64))!
    let two = Digest.parse("sha256:" + String(repeating: "b", count: 64))!

    func testAHotLinkIsReadOnceThenRevalidatedByItsStamp() async throws {
        let (links, reads) = try links()
        try await links.write(path, one)
        for _ in 0..<5 {
            let digest = try await links.read(path)
            XCTAssertEqual(digest, one)
        }
        XCTAssertEqual(reads.value, 1, "later reads come from the cache")
    }

    func testAnotherReplicaMovingOrDeletingTheLinkIsSeenAtOnce() async throws {
        let (links, reads) = try links()
        let replica = LinkFiles(driver: try FilesystemDriver(root: scratch.path))
        try await replica.write(path, one)
        let first = try await links.read(path)
        let cached = try await links.read(path)
        XCTAssertEqual(first, one)
        XCTAssertEqual(cached, one)
        XCTAssertEqual(reads.value, 1)

        try await replica.write(path, two)
        let moved = try await links.read(path)
        XCTAssertEqual(moved, two)
        XCTAssertEqual(reads.value, 2)

        try await replica.delete("/docker/registry/v2/repositories/app/_manifests/tags/v1")
        let gone = try await links.read(path)
        XCTAssertNil(gone)
    }

    func testFreshLinksAreNotCachedWithinTheSettleMargin() async throws {
        let (links, reads) = try links(ahead: 0)
        try await links.write(path, one)
        _ = try await links.read(path)
        _ = try await links.read(path)
        XCTAssertEqual(reads.value, 2, "a link changed less than a second ago is read every time")
    }

    func testTheCacheIsBounded() {
        let cache = LinkCache(capacity: 2, clock: { Int64.max / 2 })
        let stamp = FileStamp(device: 1, inode: 1, size: 71, changeNanoseconds: 0, modificationNanoseconds: 0)
        for i in 0..<10 { cache.store("/l\(i)", stamp: stamp, digest: one) }
        XCTAssertEqual(cache.count, 2)
        XCTAssertEqual(cache.digest("/l9", stamp: stamp), one)
        XCTAssertNil(cache.digest("/l9", stamp: FileStamp(device: 1, inode: 2, size: 71, changeNanoseconds: 0, modificationNanoseconds: 0)))
    }
}
