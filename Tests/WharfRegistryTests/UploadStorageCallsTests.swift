import Foundation
import XCTest
import WharfHTTP
import WharfStorage
@testable import WharfRegistry

/// How many storage calls a blob upload costs: each is a thread hand-off (filesystem) or a
/// round trip (object stores), so small pushes are bounded by them.
final class UploadStorageCallsTests: XCTestCase {
    final class Calls: @unchecked Sendable {
        let lock = NSLock()
        var operations: [String] = []
        func take() -> [String] { lock.withLock { defer { operations = [] }; return operations } }
    }

    func makeRegistry(_ calls: Calls) -> Registry {
        let driver = InstrumentedDriver(InMemoryDriver()) { operation, _, _, _ in
            calls.lock.withLock { calls.operations.append(operation) }
        }
        var options = RegistryOptions()
        options.httpSecret = TestRegistry.secret
        options.host = "http://registry.test"
        return Registry(options: options, driver: driver, logger: Logger(level: .error, fd: 2))
    }

    func send(_ registry: Registry, _ method: String, _ target: String, body: Data? = nil) async throws -> HTTPResponse {
        var h = HTTPHeaders()
        h.add("Host", "registry.test")
        let request = HTTPRequest(method: method, target: target, headers: h, body: body.map { RequestBody(data: $0) } ?? .empty)
        return try await registry.handler(request)
    }

    func testPostThenPutCostsTwoPlusFiveStorageCalls() async throws {
        let calls = Calls()
        let registry = makeRegistry(calls)
        let post = try await send(registry, "POST", "/v2/app/blobs/uploads/")
        XCTAssertEqual(post.status, 202)
        // startedat and the empty data, both as scratch content (no fsync on a filesystem).
        XCTAssertEqual(calls.take(), [InstrumentedDriver.Operation.putContent, InstrumentedDriver.Operation.putContent])

        let blob = Data(repeating: 7, count: 5000)
        let digest = TestRegistry.digest(blob)
        let location = TestRegistry.pathAndQuery(post.headers["Location"])
        let put = try await send(registry, "PUT", location + "&digest=\(digest)", body: blob)
        XCTAssertEqual(put.status, 201)
        // No stat of the upload before or after the append: the writer's open finds a
        // missing upload, and the append reports the size it wrote.
        XCTAssertEqual(calls.take(), [
            InstrumentedDriver.Operation.writer,  // append
            InstrumentedDriver.Operation.stat,    // is the blob already stored?
            InstrumentedDriver.Operation.move,    // into blobs/
            InstrumentedDriver.Operation.putContent,  // the repository's layer link
            InstrumentedDriver.Operation.delete,  // the upload directory
        ])
    }

    func testPutWithBodyToAMissingUploadIsUnknownAndStoresNothing() async throws {
        let calls = Calls()
        let registry = makeRegistry(calls)
        let post = try await send(registry, "POST", "/v2/app/blobs/uploads/")
        let location = TestRegistry.pathAndQuery(post.headers["Location"])
        let cancel = try await send(registry, "DELETE", location)
        XCTAssertEqual(cancel.status, 204)
        _ = calls.take()
        let blob = Data("abc".utf8)
        let put = try await send(registry, "PUT", location + "&digest=\(TestRegistry.digest(blob))", body: blob)
        XCTAssertEqual(put.status, 404)
        if case .bytes(let body) = put.body {
            XCTAssertTrue(String(decoding: body, as: UTF8.self).contains("BLOB_UPLOAD_UNKNOWN"))
        } else {
            XCTFail("expected an error body")
        }
        // The writer's open failed and `startedat` is missing: nothing was written.
        XCTAssertEqual(calls.take(), [InstrumentedDriver.Operation.writer, InstrumentedDriver.Operation.stat])
        let head = try await send(registry, "HEAD", "/v2/app/blobs/\(TestRegistry.digest(blob))")
        XCTAssertEqual(head.status, 404)
    }
}
