import WharfAPI
import XCTest
import WharfHTTP
import WharfStorage
@testable import WharfRegistry

final class ErrorResponseTests: XCTestCase {
    func testErrorJSONShape() throws {
        let e = RegistryError(.blobUnknown, detail: "sha256:abc")
        XCTAssertEqual(e.status, 404)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: e.jsonBody) as? [String: Any])
        let errors = try XCTUnwrap(obj["errors"] as? [[String: Any]])
        XCTAssertEqual(errors.count, 1)
        XCTAssertEqual(errors[0]["code"] as? String, "BLOB_UNKNOWN")
        XCTAssertEqual(errors[0]["message"] as? String, "blob unknown to registry")
        XCTAssertEqual(errors[0]["detail"] as? String, "sha256:abc")
        XCTAssertEqual(e.response.headers["Content-Type"], "application/json; charset=utf-8")
    }

    func testStatusesPerSpec() {
        let expected: [RegistryErrorCode: Int] = [
            .blobUnknown: 404, .blobUploadInvalid: 400, .blobUploadUnknown: 404, .digestInvalid: 400,
            .manifestBlobUnknown: 400, .manifestInvalid: 400, .manifestUnknown: 404, .nameInvalid: 400,
            .nameUnknown: 404, .sizeInvalid: 400, .unauthorized: 401, .denied: 403, .unsupported: 405,
            .tooManyRequests: 429, .rangeInvalid: 416,
        ]
        for (code, status) in expected { XCTAssertEqual(code.status, status, code.rawValue) }
    }

    func testBaseEndpointAndAPIVersionHeader() async throws {
        let t = TestRegistry()
        let r = try await t.send("GET", "/v2/")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.text, "{}")
        XCTAssertEqual(r.headers["Docker-Distribution-API-Version"], "registry/2.0")
        let health = try await t.send("GET", "/healthz")
        XCTAssertEqual(health.status, 200)
        XCTAssertNil(health.headers["Docker-Distribution-API-Version"])
    }

    func testUnknownPathAndMethod() async throws {
        let t = TestRegistry()
        let r = try await t.send("GET", "/v2/app/nothing-here")
        XCTAssertEqual(r.status, 404)
        XCTAssertNotNil(r.errorCode)
        XCTAssertEqual(r.headers["Docker-Distribution-API-Version"], "registry/2.0")
        let m = try await t.send("POST", "/v2/app/tags/list")
        XCTAssertEqual(m.status, 405)
        XCTAssertEqual(m.errorCode, "UNSUPPORTED")
    }

    func testInvalidNameAndDigest() async throws {
        let t = TestRegistry()
        let n = try await t.send("GET", "/v2/Bad/Name/tags/list")
        XCTAssertEqual(n.status, 400)
        XCTAssertEqual(n.errorCode, "NAME_INVALID")
        let d = try await t.send("GET", "/v2/app/blobs/sha256:1234")
        XCTAssertEqual(d.status, 400)
        XCTAssertEqual(d.errorCode, "DIGEST_INVALID")
        let u = try await t.send("GET", "/v2/app/blobs/md5:d41d8cd98f00b204e9800998ecf8427e")
        XCTAssertEqual(u.errorCode, "DIGEST_INVALID")
    }

    func testStorageErrorsMapTo500() {
        let e = RegistryError.from(StorageErrorStub.failure)
        XCTAssertEqual(e.status, 500)
        XCTAssertEqual(RegistryError.from(RequestBodyError.tooLarge(limit: 5)).status, 413)
    }

    func testFullStorageIs507AndAnUnreachableBackend503WithRetryAfter() {
        let full = RegistryError.from(StorageError.outOfSpace)
        XCTAssertEqual(full.status, 507)
        XCTAssertTrue(full.message.contains("storage is full"), full.message)
        let down = RegistryError.from(StorageError.unavailable(driver: "s3", message: "connection refused"))
        XCTAssertEqual(down.status, 503)
        XCTAssertTrue(down.message.contains("s3"), down.message)
        XCTAssertEqual(down.headers["Retry-After"], "5")
    }
}

enum StorageErrorStub: Error { case failure }
