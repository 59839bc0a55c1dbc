import Foundation
import XCTest
@testable import WharfMetrics

/// Quantiles over the sliding window, bounded memory and all-time `_sum`/`_count`.
final class SummaryTests: XCTestCase {
    final class FakeClock: @unchecked Sendable {
        var now: UInt64 = 1_000_000_000
    }

    func testNearestRankQuantilesOfOneToHundred() {
        let s = Summary(name: "x_seconds", help: "x")
        for v in (1...100).shuffled() { s.observe(Double(v)) }
        let v = s.values()
        XCTAssertEqual(v.quantiles, [50, 90, 99])
        XCTAssertEqual(v.sum, 5050)
        XCTAssertEqual(v.count, 100)
    }

    func testEmptySeriesQuantileIsNaN() {
        XCTAssertTrue(SlidingWindowSamples.quantile(0.5, ofSorted: []).isNaN)
        XCTAssertEqual(SlidingWindowSamples.quantile(0.99, ofSorted: [7]), 7)
    }

    func testOldObservationsLeaveTheWindowButStayInSumAndCount() {
        let clock = FakeClock()
        let s = Summary(name: "x_seconds", help: "x", maxAge: 10, clock: { clock.now })
        for _ in 0..<10 { s.observe(100) }
        clock.now += 20_000_000_000
        s.observe(1)
        let v = s.values()
        XCTAssertEqual(v.quantiles, [1, 1, 1])
        XCTAssertEqual(v.sum, 1001)
        XCTAssertEqual(v.count, 11)
    }

    func testMemoryIsBoundedPerShard() {
        var window = SlidingWindowSamples(capacity: 8)
        for i in 0..<10_000 { window.observe(Double(i), at: UInt64(i)) }
        XCTAssertEqual(window.values.count, 8)
        XCTAssertEqual(window.recent(since: 0).sorted(), (9992..<10_000).map(Double.init))
        XCTAssertEqual(window.count, 10_000)
    }

    func testConcurrentRecordingLosesNothing() {
        let c = Counter(name: "hits_total", help: "h", labels: ["type"])
        let s = Summary(name: "lat_seconds", help: "l", labels: ["op"])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1000 {
                c.inc("Hit")
                s.observe(0.5, "get")
            }
        }
        XCTAssertEqual(c.value("Hit"), 8000)
        XCTAssertEqual(s.values("get").count, 8000)
        XCTAssertEqual(s.values("get").quantiles, [0.5, 0.5, 0.5])
    }
}
