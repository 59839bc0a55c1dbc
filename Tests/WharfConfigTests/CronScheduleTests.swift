import Foundation
import XCTest
import WharfConfig

/// `storage.maintenance.pruning.schedule`: 5-field cron, next fire time in UTC.
final class CronScheduleTests: XCTestCase {
    private func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    private func next(_ schedule: String, after: String) throws -> String? {
        try CronSchedule(parsing: schedule).next(after: date(after)).map { ISO8601DateFormatter().string(from: $0) }
    }

    func testNextFireTimes() throws {
        XCTAssertEqual(try next("0 0 * * *", after: "2026-12-02T18:30:00Z"), "2026-12-03T00:00:00Z")
        XCTAssertEqual(try next("0 0 * * *", after: "2026-12-31T23:59:59Z"), "2027-01-01T00:00:00Z")
        XCTAssertEqual(try next("* * * * *", after: "2026-12-02T18:30:10Z"), "2026-12-02T18:31:00Z")
        XCTAssertEqual(try next("*/15 * * * *", after: "2026-12-02T18:30:00Z"), "2026-12-02T18:45:00Z")
        XCTAssertEqual(try next("5,35 9-17/4 * * *", after: "2026-12-02T13:40:00Z"), "2026-12-02T17:05:00Z")
        // Sunday (0 and 7); 2026-12-06 is a Sunday.
        XCTAssertEqual(try next("30 2 * * 0", after: "2026-12-02T00:00:00Z"), "2026-12-06T02:30:00Z")
        XCTAssertEqual(try next("30 2 * * 7", after: "2026-12-02T00:00:00Z"), "2026-12-06T02:30:00Z")
        // Both day fields restricted: either matches (the 1st, or a Monday).
        XCTAssertEqual(try next("0 0 1 * 1", after: "2026-12-02T00:00:00Z"), "2026-12-07T00:00:00Z")
        // February 29th only in leap years.
        XCTAssertEqual(try next("0 0 29 2 *", after: "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00Z")
        XCTAssertNil(try next("0 0 31 2 *", after: "2026-03-01T00:00:00Z"))
    }

    func testInvalidSchedulesAreRefused() {
        for bad in ["", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8",
                    "*/0 * * * *", "5-1 * * * *", "a * * * *", "1,,2 * * * *"] {
            XCTAssertThrowsError(try CronSchedule(parsing: bad), bad)
        }
        XCTAssertEqual(try CronSchedule(parsing: " 0  0 * * *").description, "0 0 * * *")
    }
}
