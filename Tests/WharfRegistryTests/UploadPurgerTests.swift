import Foundation
import WharfHTTP
import WharfStorage
import XCTest
@testable import WharfRegistry

/// `storage.maintenance.uploadpurging`: which uploads a pass deletes, and what it never touches.
final class UploadPurgerTests: XCTestCase {
    let paths = RegistryPaths()
    let now = ISO8601DateFormatter().date(from: "2026-11-22T12:00:00Z")!

    private func upload(_ driver: StorageDriver, _ repo: String, _ uuid: String, startedAt: String?, data: Bool = true) async throws -> String {
        let dir = "\(paths.repositoriesRoot)/\(repo)/_uploads/\(uuid)"
        if let startedAt { try await driver.putContent(dir + "/startedat", Data(startedAt.utf8)) }
        if data { try await driver.putContent(dir + "/data", Data("partial".utf8)) }
        return dir
    }

    private func exists(_ driver: StorageDriver, _ path: String) async -> Bool {
        (try? await driver.stat(path)) != nil
    }

    func testDeletesOnlyUploadsOlderThanAge() async throws {
        let driver = InMemoryDriver()
        let old = try await upload(driver, "ns/app", "old", startedAt: "2026-11-14T12:00:00Z")
        let oldGo = try await upload(driver, "other", "old-go", startedAt: "2026-11-01T08:30:00.123456789Z")
        let young = try await upload(driver, "ns/app", "young", startedAt: "2026-11-22T11:00:00Z")
        // Links and revisions next to the uploads, even with old mtimes, are never touched.
        let link = "\(paths.repositoriesRoot)/ns/app/_layers/sha256/\(String(repeating: "a", count: 64))/link"
        try await driver.putContent(link, Data("sha256:\(String(repeating: "a", count: 64))".utf8))

        let purger = UploadPurger(driver: driver, paths: paths, age: 7 * 86400, dryRun: false, logger: Logger(level: .error))
        let report = try await purger.purge(now: now)

        XCTAssertEqual(Set(report.purged), [old, oldGo])
        XCTAssertEqual(report.kept, 1)
        let oldExists = await exists(driver, old + "/data")
        let oldGoExists = await exists(driver, oldGo + "/startedat")
        let youngExists = await exists(driver, young + "/data")
        let linkExists = await exists(driver, link)
        XCTAssertFalse(oldExists)
        XCTAssertFalse(oldGoExists)
        XCTAssertTrue(youngExists)
        XCTAssertTrue(linkExists)
    }

    func testDryRunDeletesNothing() async throws {
        let driver = InMemoryDriver()
        let old = try await upload(driver, "ns/app", "old", startedAt: "2020-01-01T00:00:00Z")
        let purger = UploadPurger(driver: driver, paths: paths, age: 3600, dryRun: true, logger: Logger(level: .error))
        let report = try await purger.purge(now: now)
        XCTAssertEqual(report.purged, [old])
        let stillThere = await exists(driver, old + "/data")
        XCTAssertTrue(stillThere)
    }

    func testUnreadableStartedAtFallsBackToDataModificationTime() async throws {
        let driver = InMemoryDriver()
        // Written just now: young by its data's mtime, whatever the garbage in startedat says.
        let garbled = try await upload(driver, "ns/app", "garbled", startedAt: "not a time")
        let missing = try await upload(driver, "ns/app", "missing", startedAt: nil)
        let purger = UploadPurger(driver: driver, paths: paths, age: 3600, dryRun: false, logger: Logger(level: .error))
        let report = try await purger.purge(now: Date())
        XCTAssertEqual(report.purged, [])
        XCTAssertEqual(report.kept, 2)
        // An hour and a bit later both are abandoned.
        let later = try await purger.purge(now: Date().addingTimeInterval(3700))
        XCTAssertEqual(Set(later.purged), [garbled, missing])
    }

    func testNoRepositoriesIsNotAnError() async throws {
        let purger = UploadPurger(driver: InMemoryDriver(), paths: paths, age: 1, dryRun: false, logger: Logger(level: .error))
        let report = try await purger.purge(now: now)
        XCTAssertEqual(report, UploadPurger.Report())
    }

    func testParsesWharfAndDistributionTimestamps() {
        XCTAssertNotNil(UploadPurger.parse("2026-11-22T12:00:00Z"))
        XCTAssertNotNil(UploadPurger.parse("2026-11-22T12:00:00.123Z\n"))
        XCTAssertNotNil(UploadPurger.parse("2026-11-22T12:00:00.123456789Z"))
        XCTAssertNil(UploadPurger.parse("yesterday"))
    }
}
