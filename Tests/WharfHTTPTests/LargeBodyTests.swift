import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

/// Gigabyte bodies through curl in both directions: every byte arrives and the server's
/// memory stays bounded (curl is another process, so this process's RSS is the server's).
final class LargeBodyTests: XCTestCase {
    /// Size in MiB; WHARF_LARGE_BODY_MIB overrides the 2 GiB default.
    var mebibytes: Int { Int(ProcessInfo.processInfo.environment["WHARF_LARGE_BODY_MIB"] ?? "") ?? 2048 }

    func shell(_ command: String) throws -> (Int32, String) {
        let r = try ProcessLauncher.shell(command, timeout: 900)
        return (r.status, r.stdoutText)
    }

    func testLargeStreamedUploadIsHashedInBoundedMemory() async throws {
        let ts = try TestServer()
        let before = residentKiB()
        let bytes = Int64(mebibytes) << 20
        let (status, out) = try shell("head -c \(bytes) /dev/zero | curl -sS --max-time 600 -T - http://127.0.0.1:\(ts.port)/hash")
        let after = residentKiB()
        XCTAssertEqual(status, 0)
        XCTAssertTrue(out.hasPrefix("\(bytes) "), out)
        XCTAssertEqual(ts.observations.bytesHashed, bytes)
        XCTAssertLessThan(after - before, 64 * 1024, "RSS grew from \(before) KiB to \(after) KiB")
        await ts.stop()
    }

    func testLargeStreamedDownloadInBoundedMemory() async throws {
        let ts = try TestServer()
        let before = residentKiB()
        let bytes = Int64(mebibytes) << 20
        let (status, out) = try shell("curl -sS --max-time 600 -o /dev/null -w '%{size_download}' 'http://127.0.0.1:\(ts.port)/stream?n=\(bytes)'")
        let after = residentKiB()
        XCTAssertEqual(status, 0)
        XCTAssertEqual(out, "\(bytes)")
        XCTAssertLessThan(after - before, 64 * 1024, "RSS grew from \(before) KiB to \(after) KiB")
        await ts.stop()
    }
}
