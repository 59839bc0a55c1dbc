import WharfAPI
import XCTest
import WharfHTTP
@testable import WharfRegistry

final class BlobUploadTests: XCTestCase {
    let blob = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) })

    /// POST a new upload; returns the Location's path and query.
    func startUpload(_ t: TestRegistry, _ name: String = "app") async throws -> String {
        let r = try await t.send("POST", "/v2/\(name)/blobs/uploads/")
        XCTAssertEqual(r.status, 202, r.text)
        XCTAssertEqual(r.headers["Range"], "0-0")
        XCTAssertNotNil(r.headers["Docker-Upload-UUID"])
        XCTAssertEqual(r.declaredLength, 0)
        let location = try XCTUnwrap(r.headers["Location"])
        XCTAssertTrue(location.hasPrefix("http://registry.test/v2/\(name)/blobs/uploads/"), location)
        XCTAssertTrue(location.contains("?_state="), location)
        return TestRegistry.pathAndQuery(location)
    }

    func testMonolithicPost() async throws {
        let t = TestRegistry()
        let digest = TestRegistry.digest(blob)
        let r = try await t.send("POST", "/v2/app/blobs/uploads/?digest=\(digest)", body: blob)
        XCTAssertEqual(r.status, 201)
        XCTAssertEqual(r.headers["Location"], "http://registry.test/v2/app/blobs/\(digest)")
        XCTAssertEqual(r.headers["Docker-Content-Digest"], digest)
        let get = try await t.send("GET", "/v2/app/blobs/\(digest)")
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.body, blob)
        // No upload directories left behind.
        let leftovers = try await t.files().filter { $0.contains("_uploads") }
        XCTAssertEqual(leftovers, [])
    }

    func testMonolithicPostWrongDigest() async throws {
        let t = TestRegistry()
        let wrong = TestRegistry.digest(Data("other".utf8))
        let r = try await t.send("POST", "/v2/app/blobs/uploads/?digest=\(wrong)", body: blob)
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.errorCode, "DIGEST_INVALID")
        let head = try await t.send("HEAD", "/v2/app/blobs/\(wrong)")
        XCTAssertEqual(head.status, 404)
    }

    func testPostThenPutWholeBody() async throws {
        let t = TestRegistry()
        let loc = try await startUpload(t)
        let digest = TestRegistry.digest(blob)
        let r = try await t.send("PUT", loc + "&digest=\(digest)", body: blob)
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(r.headers["Docker-Content-Digest"], digest)
        do { let r_ = try await t.send("HEAD", "/v2/app/blobs/\(digest)"); XCTAssertEqual(r_.status, 200) }
    }

    func testChunkedUploadWithContentRange() async throws {
        let t = TestRegistry()
        var loc = try await startUpload(t)
        let parts = [blob.prefix(1000), blob.dropFirst(1000).prefix(3000), blob.dropFirst(4000)].map { Data($0) }
        var offset = 0
        for part in parts {
            let r = try await t.send("PATCH", loc, headers: ["Content-Range": "\(offset)-\(offset + part.count - 1)",
                                                             "Content-Length": "\(part.count)"], body: part)
            XCTAssertEqual(r.status, 202, r.text)
            offset += part.count
            XCTAssertEqual(r.headers["Range"], "0-\(offset - 1)")
            loc = TestRegistry.pathAndQuery(r.headers["Location"])
        }
        let status = try await t.send("GET", loc)
        XCTAssertEqual(status.status, 204)
        XCTAssertEqual(status.headers["Range"], "0-\(blob.count - 1)")
        let digest = TestRegistry.digest(blob)
        let put = try await t.send("PUT", loc + "&digest=\(digest)")
        XCTAssertEqual(put.status, 201, put.text)
        do { let r_ = try await t.send("GET", "/v2/app/blobs/\(digest)"); XCTAssertEqual(r_.body, blob) }
    }

    func testOutOfOrderChunkIs416WithCurrentRange() async throws {
        let t = TestRegistry()
        let loc = try await startUpload(t)
        let first = try await t.send("PATCH", loc, headers: ["Content-Range": "0-99"], body: Data(blob.prefix(100)))
        XCTAssertEqual(first.status, 202)
        let next = TestRegistry.pathAndQuery(first.headers["Location"])
        let skip = try await t.send("PATCH", next, headers: ["Content-Range": "200-299"], body: Data(blob.dropFirst(200).prefix(100)))
        XCTAssertEqual(skip.status, 416)
        XCTAssertEqual(skip.errorCode, "RANGE_INVALID")
        XCTAssertEqual(skip.headers["Range"], "0-99")
        // Repeating an already-received chunk is also out of order.
        let again = try await t.send("PATCH", next, headers: ["Content-Range": "0-99"], body: Data(blob.prefix(100)))
        XCTAssertEqual(again.status, 416)
        let status = try await t.send("GET", next)
        XCTAssertEqual(status.headers["Range"], "0-99")
    }

    func testContentLengthMustMatchContentRange() async throws {
        let t = TestRegistry()
        let loc = try await startUpload(t)
        let r = try await t.send("PATCH", loc, headers: ["Content-Range": "0-99", "Content-Length": "50"], body: Data(blob.prefix(50)))
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.errorCode, "SIZE_INVALID")
    }

    func testStreamedPatchWithoutContentRange() async throws {
        let t = TestRegistry()
        let loc = try await startUpload(t)
        let chunks = stride(from: 0, to: blob.count, by: 700).map { Data(blob[$0..<min($0 + 700, blob.count)]) }
        let r = try await t.send("PATCH", loc, chunks: chunks, declaredLength: nil)
        XCTAssertEqual(r.status, 202)
        XCTAssertEqual(r.headers["Range"], "0-\(blob.count - 1)")
        let digest = TestRegistry.digest(blob)
        let put = try await t.send("PUT", TestRegistry.pathAndQuery(r.headers["Location"]) + "&digest=\(digest)")
        XCTAssertEqual(put.status, 201, put.text)
    }

    func testResumeAfterFailedChunk() async throws {
        let t = TestRegistry()
        let loc = try await startUpload(t)
        // The connection drops after 1500 bytes of a 5000-byte chunk.
        let failed = try await t.send("PATCH", loc, chunks: [Data(blob.prefix(1000)), Data(blob.dropFirst(1000).prefix(500))],
                                      failAtEnd: true, declaredLength: nil)
        XCTAssertEqual(failed.status, 400)
        let status = try await t.send("GET", loc)
        XCTAssertEqual(status.status, 204)
        XCTAssertEqual(status.headers["Range"], "0-1499")
        let resumed = try await t.send("PATCH", TestRegistry.pathAndQuery(status.headers["Location"]),
                                       headers: ["Content-Range": "1500-\(blob.count - 1)"], body: Data(blob.dropFirst(1500)))
        XCTAssertEqual(resumed.status, 202, resumed.text)
        let digest = TestRegistry.digest(blob)
        let put = try await t.send("PUT", TestRegistry.pathAndQuery(resumed.headers["Location"]) + "&digest=\(digest)")
        XCTAssertEqual(put.status, 201, put.text)
        do { let r_ = try await t.send("GET", "/v2/app/blobs/\(digest)"); XCTAssertEqual(r_.body, blob) }
    }

    func testPutDigestMismatchDeletesUpload() async throws {
        let t = TestRegistry()
        let loc = try await startUpload(t)
        let wrong = TestRegistry.digest(Data("nope".utf8))
        let r = try await t.send("PUT", loc + "&digest=\(wrong)", body: blob)
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.errorCode, "DIGEST_INVALID")
        do { let r_ = try await t.send("GET", loc); XCTAssertEqual(r_.status, 404) }
        let missing = try await t.send("PUT", loc)
        XCTAssertEqual(missing.errorCode, "DIGEST_INVALID")
    }

    func testSha512Digest() async throws {
        let t = TestRegistry()
        let loc = try await startUpload(t)
        let digest = "sha512:" + DigestHasherHex.sha512(blob)
        let r = try await t.send("PUT", loc + "&digest=\(digest)", body: blob)
        XCTAssertEqual(r.status, 201, r.text)
        do { let r_ = try await t.send("GET", "/v2/app/blobs/\(digest)"); XCTAssertEqual(r_.body, blob) }
    }

    func testCancelAndUnknownUpload() async throws {
        let t = TestRegistry()
        let loc = try await startUpload(t)
        let del = try await t.send("DELETE", loc)
        XCTAssertEqual(del.status, 204)
        let again = try await t.send("GET", loc)
        XCTAssertEqual(again.status, 404)
        XCTAssertEqual(again.errorCode, "BLOB_UPLOAD_UNKNOWN")
        let patch = try await t.send("PATCH", loc, body: Data("x".utf8))
        XCTAssertEqual(patch.errorCode, "BLOB_UPLOAD_UNKNOWN")
        do { let r_ = try await t.send("DELETE", "/v2/app/blobs/uploads/not-an-upload"); XCTAssertEqual(r_.status, 404) }
    }

    func testTamperedStateIsRejected() async throws {
        let t = TestRegistry()
        let loc = try await startUpload(t)
        let uuidPath = String(loc.prefix { $0 != "?" })
        let forged = try await t.send("PATCH", uuidPath + "?_state=eyJmb28iOjF9.AAAA", body: Data("x".utf8))
        XCTAssertEqual(forged.status, 400)
        XCTAssertEqual(forged.errorCode, "BLOB_UPLOAD_INVALID")
        // A state signed with another secret.
        let other = UploadStateToken(key: Array("other".utf8)).sign(
            UploadState(name: "app", uuid: String(uuidPath.split(separator: "/").last!), offset: 0, startedAt: ""))
        let foreign = try await t.send("GET", uuidPath + "?_state=\(other)")
        XCTAssertEqual(foreign.errorCode, "BLOB_UPLOAD_INVALID")
        // A valid state for another upload: from this URL's view that upload is unknown
        // (404, revealing nothing about the other repository).
        let otherRepo = try await startUpload(t, "other")
        let otherToken = String(otherRepo.split(separator: "=", maxSplits: 1)[1])
        let crossed = try await t.send("GET", uuidPath + "?_state=\(otherToken)")
        XCTAssertEqual(crossed.status, 404)
        XCTAssertEqual(crossed.errorCode, "BLOB_UPLOAD_UNKNOWN")
    }

    func testRestartedRegistryFinishesUpload() async throws {
        let first = TestRegistry()
        let loc = try await startUpload(first)
        let r = try await first.send("PATCH", loc, headers: ["Content-Range": "0-2499"], body: Data(blob.prefix(2500)))
        XCTAssertEqual(r.status, 202)
        let next = TestRegistry.pathAndQuery(r.headers["Location"])
        // A new process (no hasher cache) on the same storage and secret.
        let second = TestRegistry(driver: first.driver)
        let r2 = try await second.send("PATCH", next, headers: ["Content-Range": "2500-\(blob.count - 1)"], body: Data(blob.dropFirst(2500)))
        XCTAssertEqual(r2.status, 202, r2.text)
        let digest = TestRegistry.digest(blob)
        let put = try await second.send("PUT", TestRegistry.pathAndQuery(r2.headers["Location"]) + "&digest=\(digest)")
        XCTAssertEqual(put.status, 201, put.text)
        do { let r_ = try await first.send("GET", "/v2/app/blobs/\(digest)"); XCTAssertEqual(r_.body, blob) }
    }

    func testReplicasAlternatingChunks() async throws {
        let a = TestRegistry()
        let b = TestRegistry(driver: a.driver)
        var loc = try await startUpload(a)
        let parts = stride(from: 0, to: blob.count, by: 1200).map { Data(blob[$0..<min($0 + 1200, blob.count)]) }
        var offset = 0
        for (i, part) in parts.enumerated() {
            // A's cached hash state goes stale whenever B takes a chunk; it must notice.
            let replica = i % 2 == 0 ? a : b
            let r = try await replica.send("PATCH", loc, headers: ["Content-Range": "\(offset)-\(offset + part.count - 1)"], body: part)
            XCTAssertEqual(r.status, 202, r.text)
            offset += part.count
            loc = TestRegistry.pathAndQuery(r.headers["Location"])
        }
        let digest = TestRegistry.digest(blob)
        let put = try await a.send("PUT", loc + "&digest=\(digest)")
        XCTAssertEqual(put.status, 201, put.text)
    }

    func testCrossRepositoryMount() async throws {
        let t = TestRegistry()
        let digest = try await t.pushBlob("source", blob)
        let mounted = try await t.send("POST", "/v2/target/blobs/uploads/?mount=\(digest)&from=source")
        XCTAssertEqual(mounted.status, 201)
        XCTAssertEqual(mounted.headers["Location"], "http://registry.test/v2/target/blobs/\(digest)")
        XCTAssertEqual(mounted.headers["Docker-Content-Digest"], digest)
        do { let r_ = try await t.send("GET", "/v2/target/blobs/\(digest)"); XCTAssertEqual(r_.body, blob) }
        // Not in `from`: a normal upload starts.
        let missing = TestRegistry.digest(Data("absent".utf8))
        let fallback = try await t.send("POST", "/v2/target/blobs/uploads/?mount=\(missing)&from=source")
        XCTAssertEqual(fallback.status, 202)
        XCTAssertNotNil(fallback.headers["Docker-Upload-UUID"])
    }

    func testEmptyBlob() async throws {
        let t = TestRegistry()
        let loc = try await startUpload(t)
        let digest = TestRegistry.digest(Data())
        let r = try await t.send("PUT", loc + "&digest=\(digest)")
        XCTAssertEqual(r.status, 201, r.text)
        let get = try await t.send("GET", "/v2/app/blobs/\(digest)")
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.declaredLength, 0)
    }

    func testReadOnlyRefusesUploads() async throws {
        let t = TestRegistry { $0.readOnly = true }
        let r = try await t.send("POST", "/v2/app/blobs/uploads/")
        XCTAssertEqual(r.status, 405)
        XCTAssertEqual(r.errorCode, "UNSUPPORTED")
    }
}

import WharfCrypto

enum DigestHasherHex {
    static func sha512(_ data: Data) -> String { DigestHasher.hex(data, .sha512) }
}
