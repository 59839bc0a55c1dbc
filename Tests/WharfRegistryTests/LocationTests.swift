import WharfAPI
import XCTest
@testable import WharfRegistry

final class LocationTests: XCTestCase {
    func testAbsoluteFromHostHeader() async throws {
        let t = TestRegistry { $0.host = nil }
        let r = try await t.send("POST", "/v2/app/blobs/uploads/", headers: ["Host": "myhost:5000"])
        XCTAssertTrue(r.headers["Location"]?.hasPrefix("http://myhost:5000/v2/app/blobs/uploads/") ?? false, r.headers["Location"] ?? "")
    }

    func testAbsoluteFromForwardedHeaders() async throws {
        let t = TestRegistry { $0.host = nil }
        let r = try await t.send("POST", "/v2/app/blobs/uploads/", headers: [
            "Host": "internal:5000", "X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "registry.example.com"])
        XCTAssertTrue(r.headers["Location"]?.hasPrefix("https://registry.example.com/v2/app/blobs/uploads/") ?? false, r.headers["Location"] ?? "")
    }

    func testConfiguredHostOverrides() async throws {
        let t = TestRegistry { $0.host = "https://public.example/" }
        let digest = TestRegistry.digest(Data("x".utf8))
        let r = try await t.send("POST", "/v2/app/blobs/uploads/?digest=\(digest)", headers: ["X-Forwarded-Host": "ignored"], body: Data("x".utf8))
        XCTAssertEqual(r.headers["Location"], "https://public.example/v2/app/blobs/\(digest)")
    }

    func testRelativeURLs() async throws {
        let t = TestRegistry { $0.relativeURLs = true }
        let r = try await t.send("POST", "/v2/app/blobs/uploads/", headers: ["X-Forwarded-Host": "ignored"])
        XCTAssertTrue(r.headers["Location"]?.hasPrefix("/v2/app/blobs/uploads/") ?? false, r.headers["Location"] ?? "")
        let (digest, _) = try await t.pushImage("app", "v1")
        let stored = try await t.send("GET", "/v2/app/manifests/v1").body
        let put = try await t.send("PUT", "/v2/app/manifests/v1", headers: ["Content-Type": MediaTypes.ociManifest], body: stored)
        XCTAssertEqual(put.headers["Location"], "/v2/app/manifests/\(digest)")
    }
}

/// RFC 7239 `Forwarded` decides the scheme and host before `X-Forwarded-*`.
final class ForwardedHeaderTests: XCTestCase {
    func testForwardedWinsOverXForwarded() async throws {
        let t = TestRegistry { $0.host = nil }
        let r = try await t.send("POST", "/v2/app/blobs/uploads/", headers: [
            "Host": "internal:5000", "Forwarded": "for=192.0.2.60;proto=https;host=\"route.example:8443\", for=10.0.0.1",
            "X-Forwarded-Host": "ignored.example"])
        XCTAssertTrue(r.headers["Location"]?.hasPrefix("https://route.example:8443/v2/app/blobs/uploads/") ?? false, r.headers["Location"] ?? "")
    }

    func testForwardedPairsRefuseURLBreakingValues() {
        XCTAssertEqual(LocationBuilder.forwardedPairs("Proto=HTTPS;Host=a.example"), ["proto": "https", "host": "a.example"])
        XCTAssertEqual(LocationBuilder.forwardedPairs("proto=ftp;host=\"a.example/x\""), [:])
        XCTAssertEqual(LocationBuilder.forwardedPairs("host=\"a b\""), [:])
        XCTAssertEqual(LocationBuilder.forwardedPairs(""), [:])
    }
}
