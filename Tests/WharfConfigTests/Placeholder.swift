import XCTest

final class WharfConfigTestsPlaceholder: XCTestCase {
    func testPlaceholderBuilds() { XCTAssertTrue(true) }
}
