import XCTest

final class WharfHTTPTestsPlaceholder: XCTestCase {
    func testPlaceholderBuilds() { XCTAssertTrue(true) }
}
