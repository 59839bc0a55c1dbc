import XCTest

final class WharfStorageTestsPlaceholder: XCTestCase {
    func testPlaceholderBuilds() { XCTAssertTrue(true) }
}
