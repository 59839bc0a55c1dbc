import Foundation
import WharfTestSupport
import XCTest

/// The shared launcher other tests rely on: a hung child is killed at its timeout, and big
/// output on both pipes cannot deadlock.
final class ProcessLauncherTests: XCTestCase {
    func testTimeoutKillsAHungChild() throws {
        let start = Date()
        let r = try ProcessLauncher.run("/bin/sleep", ["30"], timeout: 0.5)
        XCTAssertTrue(r.timedOut)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testBothPipesDrainedAndStdinDelivered() throws {
        // 1 MiB on each pipe: more than a pipe buffer, so a sequential reader would hang.
        let r = try ProcessLauncher.shell("head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2", timeout: 60)
        XCTAssertEqual(r.status, 0)
        XCTAssertFalse(r.timedOut)
        XCTAssertEqual(r.stdout.count, 1 << 20)
        XCTAssertEqual(r.stderr.count, 1 << 20)
        let echoed = try ProcessLauncher.run("/bin/cat", [], stdin: Data("hello".utf8), timeout: 60)
        XCTAssertEqual(echoed.stdoutText, "hello")
    }

    func testMissingExecutableIsALaunchError() {
        XCTAssertThrowsError(try ProcessLauncher.run("/nonexistent/tool", [])) { XCTAssertTrue($0 is ProcessLaunchError) }
    }
}
