import Foundation
import XCTest
import WharfTestSupport

/// `wharf garbage-collect` and `wharf prune` from the outside: usage, exit codes, output.
/// What they delete is tested in WharfRegistryTests and conformance/test_lifecycle_*.py.
final class LifecycleCommandTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try WharfBinary.run(arguments, environment: [:])
        return (r.status, r.stdoutText, r.stderrText)
    }

    /// A config on a filesystem root holding one orphan blob; returns (config path, blob path).
    private func storageWithOrphan() throws -> (String, String) {
        let dir = try makeScratchDirectory("wharf-gc-cli")
        let hex = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"  // sha256("foo")
        let blob = dir.appending("data/docker/registry/v2/blobs/sha256/2c/\(hex)/data")
        try FileManager.default.createDirectory(at: blob.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("foo".utf8).write(to: blob)
        let config = try dir.file("config.yml", text: "storage:\n  filesystem:\n    rootdirectory: \(dir.appending("data").path)\n")
        return (config.path, blob.path)
    }

    func testGarbageCollectIsListedAndChecksItsUsage() throws {
        XCTAssertTrue(try run(["help"]).stdout.contains("  garbage-collect "))
        XCTAssertTrue(try run(["help", "garbage-collect"]).stdout.hasPrefix("Usage: wharf garbage-collect [--dry-run]"))
        let missing = try run(["garbage-collect"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.hasPrefix("wharf garbage-collect: missing argument"), missing.stderr)
        let (config, _) = try storageWithOrphan()
        let badOutput = try run(["garbage-collect", "--output", "xml", config])
        XCTAssertEqual(badOutput.status, 2)
        XCTAssertTrue(badOutput.stderr.contains("--output must be plain or json"), badOutput.stderr)
        XCTAssertEqual(try run(["garbage-collect", "/nonexistent/config.yml"]).status, 2)
    }

    func testGarbageCollectDryRunThenSweepWithJSONSummary() throws {
        let (config, blob) = try storageWithOrphan()
        let dry = try run(["garbage-collect", "--dry-run", config])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertEqual(dry.stdout, "0 repositories, 0 manifests, 0 blobs marked; would delete 1 blobs (3 bytes), 0 manifests, 0 links; 0 problems\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: blob))

        let real = try run(["garbage-collect", "--output", "json", config])
        XCTAssertEqual(real.status, 0, real.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(real.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(summary?["blobsSwept"] as? Int, 1)
        XCTAssertEqual(summary?["bytesFreed"] as? Int, 3)
        XCTAssertEqual(summary?["dryRun"] as? Bool, false)
        XCTAssertEqual(summary?["sweptDigests"] as? [String], ["sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: blob))
    }

    func testPruneChecksItsUsageAndPrintsAnEmptyTable() throws {
        XCTAssertTrue(try run(["help"]).stdout.contains("  prune "))
        let (config, _) = try storageWithOrphan()
        for bad in [["--keep-tag-revisions", "-1"], ["--keep-tag-revisions=many"], ["--keep-younger-than", "soon"], ["--output=xml"]] {
            let r = try run(["prune"] + bad + [config])
            XCTAssertEqual(r.status, 2, "\(bad)")
            XCTAssertTrue(r.stderr.hasPrefix("wharf prune: "), r.stderr)
        }
        let r = try run(["prune", "--keep-tag-revisions=1", "--keep-younger-than=0s", config])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").map { String($0) },
                       ["REPOSITORY  TAG  REVISION  AGE  SIZE",
                        "Would delete 0 revisions, 0 bytes (dry run: nothing deleted; add --confirm to delete)"])
    }

    func testScrubIsListedChecksUsageAndReportsACorruptBlobByPath() throws {
        XCTAssertTrue(try run(["help"]).stdout.contains("  scrub "))
        XCTAssertTrue(try run(["help", "scrub"]).stdout.hasPrefix("Usage: wharf scrub"))
        XCTAssertEqual(try run(["scrub"]).status, 2)
        let (config, blob) = try storageWithOrphan()
        XCTAssertEqual(try run(["scrub", "--output", "xml", config]).status, 2)
        let clean = try run(["scrub", config])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertTrue(clean.stdout.hasPrefix("1 blobs (3 bytes)") && clean.stdout.contains("no problems"), clean.stdout)
        try Data("fop".utf8).write(to: URL(fileURLWithPath: blob))
        let bad = try run(["scrub", config])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stdout.contains("corrupt-blob /docker/registry/v2/blobs/sha256/2c/"), bad.stdout)
    }
}
