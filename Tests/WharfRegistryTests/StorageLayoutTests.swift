import WharfAPI
import XCTest
@testable import WharfRegistry

/// The bytes on storage must be CNCF distribution 2.8's layout exactly.
final class StorageLayoutTests: XCTestCase {
    func testPushWritesDistributionLayout() async throws {
        let t = TestRegistry()
        let layer = Data("layer-bytes".utf8)
        let (manifestDigest, manifestData) = try await t.pushImage("team/app", "v1", layer: "layer-bytes")
        let layerDigest = TestRegistry.digest(layer)
        let mHex = String(manifestDigest.dropFirst(7))
        let lHex = String(layerDigest.dropFirst(7))
        let root = "/docker/registry/v2"
        let files = try await t.files()

        XCTAssertTrue(files.contains("\(root)/blobs/sha256/\(lHex.prefix(2))/\(lHex)/data"))
        XCTAssertTrue(files.contains("\(root)/blobs/sha256/\(mHex.prefix(2))/\(mHex)/data"))
        let repo = "\(root)/repositories/team/app"
        let expectedLinks: [String: String] = [
            "\(repo)/_layers/sha256/\(lHex)/link": layerDigest,
            "\(repo)/_manifests/revisions/sha256/\(mHex)/link": manifestDigest,
            "\(repo)/_manifests/tags/v1/current/link": manifestDigest,
            "\(repo)/_manifests/tags/v1/index/sha256/\(mHex)/link": manifestDigest,
        ]
        for (path, content) in expectedLinks {
            let data = try await t.driver.getContent(path)
            XCTAssertEqual(String(decoding: data, as: UTF8.self), content, path)
        }
        let blob = try await t.driver.getContent("\(root)/blobs/sha256/\(mHex.prefix(2))/\(mHex)/data")
        XCTAssertEqual(blob, manifestData)
        // Manifests are not linked into _layers; nothing else is written (3 blobs; 2 layer links + revision + tag current + tag index).
        XCTAssertFalse(files.contains("\(repo)/_layers/sha256/\(mHex)/link"))
        XCTAssertEqual(files.filter { $0.hasPrefix(repo) }.count, 5, files.joined(separator: "\n"))
        XCTAssertEqual(files.filter { $0.hasPrefix("\(root)/blobs/") }.count, 3)
    }

    func testUploadLayout() async throws {
        let t = TestRegistry()
        let r = try await t.send("POST", "/v2/app/blobs/uploads/")
        let uuid = try XCTUnwrap(r.headers["Docker-Upload-UUID"])
        let files = try await t.files()
        let dir = "/docker/registry/v2/repositories/app/_uploads/\(uuid)"
        XCTAssertEqual(files, ["\(dir)/data", "\(dir)/startedat"])
        let started = String(decoding: try await t.driver.getContent("\(dir)/startedat"), as: UTF8.self)
        XCTAssertNotNil(ISO8601DateFormatter().date(from: started), started)
    }

    func testReferrersIndexPath() async throws {
        let t = TestRegistry()
        let subject = TestRegistry.digest(Data("subject".utf8))
        let empty = try await t.pushBlob("app", Data("{}".utf8))
        let m: [String: Any] = ["schemaVersion": 2, "mediaType": MediaTypes.ociManifest, "artifactType": "application/x",
                                "config": ["mediaType": MediaTypes.ociEmpty, "digest": empty, "size": 2], "layers": [Any](),
                                "subject": ["mediaType": MediaTypes.ociManifest, "digest": subject, "size": 7]]
        let data = try JSONSerialization.data(withJSONObject: m, options: [.sortedKeys])
        let digest = TestRegistry.digest(data)
        do { let r_ = try await t.send("PUT", "/v2/app/manifests/\(digest)", headers: ["Content-Type": MediaTypes.ociManifest], body: data); XCTAssertEqual(r_.status, 201) }
        let path = "/docker/registry/v2/repositories/app/_referrers/sha256/\(subject.dropFirst(7))/sha256/\(digest.dropFirst(7))/link"
        let link = try await t.driver.getContent(path)
        XCTAssertEqual(String(decoding: link, as: UTF8.self), digest)
    }

    /// Content written the way distribution writes it is served.
    func testReadsDistributionWrittenRepository() async throws {
        let t = TestRegistry()
        let blob = Data("written by distribution".utf8)
        let digest = TestRegistry.digest(blob)
        let hex = String(digest.dropFirst(7))
        try await t.driver.putContent("/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data", blob)
        try await t.driver.putContent("/docker/registry/v2/repositories/legacy/_layers/sha256/\(hex)/link", Data(digest.utf8))
        let r = try await t.send("GET", "/v2/legacy/blobs/\(digest)")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body, blob)
        let cat = try await t.send("GET", "/v2/_catalog")
        XCTAssertEqual(cat.json?["repositories"] as? [String], ["legacy"])
    }
}
