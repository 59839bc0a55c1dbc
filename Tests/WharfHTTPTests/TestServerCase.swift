import XCTest

/// A test case with a fresh `TestServer` (default limits) per test, stopped at teardown.
class TestServerCase: XCTestCase {
    var ts: TestServer!
    override func setUp() async throws { ts = try TestServer() }
    override func tearDown() async throws { await ts.stop() }
}
