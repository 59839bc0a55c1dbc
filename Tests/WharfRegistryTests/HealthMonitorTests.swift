import Foundation
import XCTest
@testable import WharfRegistry

/// Periodic checks count failures in a row against their threshold; the first success
/// clears them. Tag lookups stay within `storage.tag.concurrencylimit`.
final class HealthMonitorTests: XCTestCase {
    /// A probe whose answers are scripted, one per run, and that counts its runs.
    final class Script: @unchecked Sendable {
        private let lock = NSLock()
        private var answers: [String?]
        private(set) var runs = 0
        init(_ answers: [String?]) { self.answers = answers }
        func next() -> String? {
            lock.withLock {
                runs += 1
                return answers.isEmpty ? nil : answers.removeFirst()
            }
        }
    }

    /// Polls until the first check has recorded an error (each poll reads the monitor).
    private func waitForFirstRecord(_ monitor: HealthMonitor) async {
        for _ in 0..<2000 where monitor.statuses()[0].lastError == nil { try? await Task.sleep(nanoseconds: 5_000_000) }
    }

    func testThresholdCountsFailuresInARowAndSuccessClears() async {
        let script = Script(["down", "down", "down", nil])
        let monitor = HealthMonitor(checks: [HealthMonitor.Check(name: "c", interval: 3600, threshold: 3) { script.next() }])
        // start() runs every check at once; the next run is an hour away, so the rest run by hand.
        monitor.start()
        await waitForFirstRecord(monitor)
        monitor.stop()
        XCTAssertEqual(script.runs, 1)
        XCTAssertEqual(monitor.statuses()[0], HealthMonitor.Status(name: "c", failing: false, lastError: "down"), "one failure is under the threshold")
        for _ in 0..<2 { await monitor.runForTesting(0) }
        XCTAssertEqual(monitor.statuses()[0], HealthMonitor.Status(name: "c", failing: true, lastError: "down"))
        await monitor.runForTesting(0)
        XCTAssertEqual(monitor.statuses()[0], HealthMonitor.Status(name: "c", failing: false, lastError: nil))
    }

    func testZeroThresholdFailsOnTheFirstFailure() async {
        let script = Script(["gone"])
        let monitor = HealthMonitor(checks: [HealthMonitor.Check(name: "f", interval: 3600, threshold: 0) { script.next() }])
        await monitor.runForTesting(0)
        XCTAssertTrue(monitor.statuses()[0].failing)
    }

    func testMonitoredChecksFeedTheHealthResponses() async throws {
        let script = Script(["file exists: /x"])
        let monitor = HealthMonitor(checks: [HealthMonitor.Check(name: "/x", interval: 3600, threshold: 1) { script.next() }])
        await monitor.runForTesting(0)
        let check = HealthCheck(driver: HealthCheckTests.FlakyDriver(.normal), timeout: 1, monitor: monitor)
        let plain = await check.plainResponse()
        XCTAssertEqual(plain.status, 503)
        let json = await check.jsonResponse()
        guard case .bytes(let data) = json.body else { return XCTFail("expected bytes") }
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: String]])
        XCTAssertEqual(doc["/x"], ["status": "error", "error": "file exists: /x", "lasterror": "file exists: /x"])
        XCTAssertEqual(doc["storagedriver_flaky"], ["status": "ok"])
    }

    func testTagLookupsStayWithinTheLimit() async throws {
        final class Gauge: @unchecked Sendable {
            let lock = NSLock()
            var now = 0, peak = 0
            func enter() { lock.withLock { now += 1; peak = max(peak, now) } }
            func leave() { lock.withLock { now -= 1 } }
        }
        for limit in [1, 3, 8] {
            let gauge = Gauge()
            let found = try await TagLookup.bounded(Array(0..<40), limit: limit) { i -> Int? in
                gauge.enter()
                await Task.yield()
                try await Task.sleep(nanoseconds: 1_000_000)
                gauge.leave()
                return i % 3 == 0 ? i : nil
            }
            XCTAssertEqual(found, Array(stride(from: 0, to: 40, by: 3)))
            XCTAssertLessThanOrEqual(gauge.peak, limit)
            if limit == 1 { XCTAssertEqual(gauge.peak, 1) }
        }
    }
}
