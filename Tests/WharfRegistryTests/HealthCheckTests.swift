import Foundation
import XCTest
import WharfStorage
@testable import WharfRegistry

/// Health follows the storage driver: an answer (even "not found") is healthy, an error
/// or a driver that does not answer within the timeout is not.
final class HealthCheckTests: XCTestCase {
    /// An in-memory driver whose `stat` hangs or fails on demand.
    final class FlakyDriver: ForwardingDriver, @unchecked Sendable {
        enum Mode { case normal, hang, fail }
        let inner = InMemoryDriver()
        let mode: Mode
        init(_ mode: Mode) { self.mode = mode }
        var name: String { "flaky" }
        func stat(_ path: String) async throws -> FileInfo {
            switch mode {
            case .normal: return try await inner.stat(path)
            case .hang: try await Task.sleep(nanoseconds: 5_000_000_000); return try await inner.stat(path)
            case .fail: throw StorageError.unknown(driver: "flaky", message: "disk on fire")
            }
        }
        func redirectURL(_ path: String, method: String) async throws -> String? { nil }
    }

    func testEmptyStorageIsHealthy() async {
        let check = HealthCheck(driver: FlakyDriver(.normal), timeout: 1)
        let problem = await check.storageProblem()
        XCTAssertNil(problem)
        let response = await check.plainResponse()
        XCTAssertEqual(response.status, 200)
    }

    func testDriverErrorIs503WithJSONDetail() async throws {
        let check = HealthCheck(driver: FlakyDriver(.fail), timeout: 1)
        let response = await check.jsonResponse()
        XCTAssertEqual(response.status, 503)
        guard case .bytes(let data) = response.body else { return XCTFail("expected bytes") }
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: String]])
        XCTAssertEqual(doc["storagedriver_flaky"]?["status"], "error")
        XCTAssertTrue(doc["storagedriver_flaky"]?["error"]?.contains("disk on fire") ?? false)
    }

    func testHangingDriverTimesOut() async {
        let check = HealthCheck(driver: FlakyDriver(.hang), timeout: 0.2)
        let start = Date()
        let response = await check.plainResponse()
        XCTAssertEqual(response.status, 503)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3, "the check must not wait for the hanging call")
    }
}
