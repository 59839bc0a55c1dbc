import XCTest

final class WharfRegistryTestsPlaceholder: XCTestCase {
    func testPlaceholderBuilds() { XCTAssertTrue(true) }
}
