import Foundation
@testable import WharfHTTP
import XCTest

/// The per-request strings built by hand on the hot path keep their former shapes.
final class RequestFormattingTests: XCTestCase {
    func testRequestIDsAreLowerCaseVersion4UUIDs() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = RequestID.make()
            XCTAssertEqual(id.count, 36)
            XCTAssertEqual(UUID(uuidString: id)?.uuidString.lowercased(), id)
            let chars = Array(id)
            XCTAssertEqual(chars[14], "4")
            XCTAssertTrue("89ab".contains(chars[19]), id)
            seen.insert(id)
        }
        XCTAssertEqual(seen.count, 1000)
        XCTAssertNotEqual(HTTPRequest(method: "GET", target: "/").requestID, HTTPRequest(method: "GET", target: "/").requestID)
    }

    func testAccessLogDurationIsSixDecimalSeconds() {
        XCTAssertEqual(AccessLogMiddleware.seconds(0), "0.000000s")
        XCTAssertEqual(AccessLogMiddleware.seconds(187_499), "0.000187s")
        XCTAssertEqual(AccessLogMiddleware.seconds(187_500), "0.000188s")
        XCTAssertEqual(AccessLogMiddleware.seconds(12_345_678_901), "12.345679s")
    }

    func testLogTimestampIsRFC3339WithMilliseconds() {
        XCTAssertEqual(Logger.timestamp(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Logger.timestamp(Date(timeIntervalSince1970: 1_795_000_000.25)), "2026-11-18T11:06:40.250Z")
        var now: [UInt8] = []
        Logger.appendTimestamp(&now)
        XCTAssertNotNil(String(decoding: now, as: UTF8.self).range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression))
    }
}
