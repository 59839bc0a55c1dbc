import WharfAPI
import XCTest
@testable import WharfRegistry

final class BlobServeTests: XCTestCase {
    let blob = Data((0..<1000).map { UInt8(truncatingIfNeeded: $0) })

    func testGetAndHead() async throws {
        let t = TestRegistry()
        let digest = try await t.pushBlob("app", blob)
        let get = try await t.send("GET", "/v2/app/blobs/\(digest)")
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.body, blob)
        XCTAssertEqual(get.declaredLength, 1000)
        XCTAssertEqual(get.headers["Content-Type"], "application/octet-stream")
        XCTAssertEqual(get.headers["Docker-Content-Digest"], digest)
        XCTAssertEqual(get.headers["Accept-Ranges"], "bytes")
        XCTAssertEqual(get.headers["ETag"], "\"\(digest)\"")
        let head = try await t.send("HEAD", "/v2/app/blobs/\(digest)")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.declaredLength, 1000)
        XCTAssertEqual(head.declaredLength, 1000)
        XCTAssertEqual(head.body, Data())
    }

    func testUnknownBlobAndUnlinkedRepository() async throws {
        let t = TestRegistry()
        let digest = try await t.pushBlob("app", blob)
        let other = try await t.send("GET", "/v2/other/blobs/\(digest)")
        XCTAssertEqual(other.status, 404)
        XCTAssertEqual(other.errorCode, "BLOB_UNKNOWN")
        let missing = try await t.send("HEAD", "/v2/app/blobs/" + TestRegistry.digest(Data("x".utf8)))
        XCTAssertEqual(missing.status, 404)
    }

    func testRangeRequests() async throws {
        let t = TestRegistry()
        let digest = try await t.pushBlob("app", blob)
        let r = try await t.send("GET", "/v2/app/blobs/\(digest)", headers: ["Range": "bytes=10-19"])
        XCTAssertEqual(r.status, 206)
        XCTAssertEqual(r.body, blob[10..<20])
        XCTAssertEqual(r.headers["Content-Range"], "bytes 10-19/1000")
        XCTAssertEqual(r.declaredLength, 10)
        let tail = try await t.send("GET", "/v2/app/blobs/\(digest)", headers: ["Range": "bytes=990-"])
        XCTAssertEqual(tail.status, 206)
        XCTAssertEqual(tail.body, blob[990...])
        let bad = try await t.send("GET", "/v2/app/blobs/\(digest)", headers: ["Range": "bytes=1000-2000"])
        XCTAssertEqual(bad.status, 416)
        XCTAssertEqual(bad.headers["Content-Range"], "bytes */1000")
    }

    func testDeleteEnabled() async throws {
        let t = TestRegistry { $0.deleteEnabled = true }
        let digest = try await t.pushBlob("app", blob)
        let del = try await t.send("DELETE", "/v2/app/blobs/\(digest)")
        XCTAssertEqual(del.status, 202)
        do { let r_ = try await t.send("GET", "/v2/app/blobs/\(digest)"); XCTAssertEqual(r_.status, 404) }
        let again = try await t.send("DELETE", "/v2/app/blobs/\(digest)")
        XCTAssertEqual(again.status, 404)
        XCTAssertEqual(again.errorCode, "BLOB_UNKNOWN")
        // The bytes stay for garbage collection.
        let data = try await t.files().filter { $0.hasSuffix("/data") && $0.contains("/blobs/") }
        XCTAssertEqual(data.count, 1)
    }

    func testDeleteDisabled() async throws {
        let t = TestRegistry()
        let digest = try await t.pushBlob("app", blob)
        let del = try await t.send("DELETE", "/v2/app/blobs/\(digest)")
        XCTAssertEqual(del.status, 405)
        XCTAssertEqual(del.errorCode, "UNSUPPORTED")
        let get = try await t.send("GET", "/v2/app/blobs/\(digest)")
        XCTAssertEqual(get.status, 200)
    }
}
