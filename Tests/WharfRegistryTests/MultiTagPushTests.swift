import Foundation
import WharfAPI
import XCTest
@testable import WharfRegistry

/// `PUT /v2/<name>/manifests/<digest>?tag=...` (the spec's end-7b): every tag set, one
/// `OCI-Tag` per tag, or nothing at all when one tag is invalid.
final class MultiTagPushTests: XCTestCase {
    func testEveryTagIsSetAndAnswered() async throws {
        let t = TestRegistry()
        let (digest, data) = try await t.pushImage("app", "first")
        let r = try await t.send("PUT", "/v2/app/manifests/\(digest)?tag=a&tag=b&tag=a&tag=c",
                                 headers: ["Content-Type": MediaTypes.ociManifest], body: data)
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(r.headers.values("OCI-Tag"), ["a", "b", "c"])
        for tag in ["a", "b", "c", "first"] {
            let g = try await t.send("GET", "/v2/app/manifests/\(tag)")
            XCTAssertEqual(g.status, 200, tag)
            XCTAssertEqual(g.headers["Docker-Content-Digest"], digest)
        }
    }

    func testOneInvalidTagSetsNothing() async throws {
        let t = TestRegistry()
        let (digest, data) = try await t.pushImage("app", "first")
        let r = try await t.send("PUT", "/v2/app/manifests/\(digest)?tag=ok&tag=.bad",
                                 headers: ["Content-Type": MediaTypes.ociManifest], body: data)
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.errorCode, "TAG_INVALID")
        XCTAssertTrue(r.headers.values("OCI-Tag").isEmpty)
        let g = try await t.send("GET", "/v2/app/manifests/ok")
        XCTAssertEqual(g.status, 404)
    }
}
