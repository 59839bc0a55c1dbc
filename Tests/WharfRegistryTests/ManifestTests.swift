import WharfAPI
import XCTest
@testable import WharfRegistry

final class ManifestTests: XCTestCase {
    func json(_ obj: [String: Any]) throws -> Data { try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]) }

    func testOCIImageManifestPushAndPull() async throws {
        let t = TestRegistry()
        let (digest, data) = try await t.pushImage("app", "v1")
        let get = try await t.send("GET", "/v2/app/manifests/v1", headers: ["Accept": MediaTypes.ociManifest])
        XCTAssertEqual(get.status, 200)
        XCTAssertEqual(get.body, data)
        XCTAssertEqual(get.headers["Content-Type"], MediaTypes.ociManifest)
        XCTAssertEqual(get.headers["Docker-Content-Digest"], digest)
        XCTAssertEqual(get.declaredLength, Int64(data.count))
        XCTAssertEqual(get.headers["ETag"], "\"\(digest)\"")
        let byDigest = try await t.send("GET", "/v2/app/manifests/\(digest)")
        XCTAssertEqual(byDigest.body, data)
        let head = try await t.send("HEAD", "/v2/app/manifests/v1")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body, Data())
        XCTAssertEqual(head.declaredLength, Int64(data.count))
        XCTAssertEqual(head.headers["Docker-Content-Digest"], digest)
        let notModified = try await t.send("GET", "/v2/app/manifests/v1", headers: ["If-None-Match": "\"\(digest)\""])
        XCTAssertEqual(notModified.status, 304)
    }

    func testPutResponseHeaders() async throws {
        let t = TestRegistry()
        let config = try await t.pushBlob("app", Data("{}".utf8))
        let data = try json(["schemaVersion": 2, "mediaType": MediaTypes.ociManifest,
                             "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2],
                             "layers": [Any]()])
        let r = try await t.send("PUT", "/v2/app/manifests/latest", headers: ["Content-Type": MediaTypes.ociManifest], body: data)
        XCTAssertEqual(r.status, 201)
        let digest = TestRegistry.digest(data)
        XCTAssertEqual(r.headers["Docker-Content-Digest"], digest)
        XCTAssertEqual(r.headers["Location"], "http://registry.test/v2/app/manifests/\(digest)")
        XCTAssertNil(r.headers["OCI-Subject"])
    }

    func testDockerSchema2AndManifestList() async throws {
        let t = TestRegistry()
        let (d1, _) = try await t.pushImage("app", "amd64", mediaType: MediaTypes.dockerManifest)
        let get = try await t.send("GET", "/v2/app/manifests/amd64")
        XCTAssertEqual(get.headers["Content-Type"], MediaTypes.dockerManifest)
        let list = try json(["schemaVersion": 2, "mediaType": MediaTypes.dockerManifestList,
                             "manifests": [["mediaType": MediaTypes.dockerManifest, "digest": d1, "size": get.body.count,
                                            "platform": ["architecture": "amd64", "os": "linux"]]]])
        let r = try await t.send("PUT", "/v2/app/manifests/multi", headers: ["Content-Type": MediaTypes.dockerManifestList], body: list)
        XCTAssertEqual(r.status, 201, r.text)
        let got = try await t.send("GET", "/v2/app/manifests/multi", headers: ["Accept": MediaTypes.dockerManifestList])
        XCTAssertEqual(got.headers["Content-Type"], MediaTypes.dockerManifestList)
        XCTAssertEqual(got.body, list)
        // A client that does not accept lists gets the linux/amd64 child, as distribution serves it.
        let single = try await t.send("GET", "/v2/app/manifests/multi", headers: ["Accept": MediaTypes.dockerManifest])
        XCTAssertEqual(single.status, 200)
        XCTAssertEqual(single.headers["Content-Type"], MediaTypes.dockerManifest)
        XCTAssertEqual(single.headers["Docker-Content-Digest"], d1)
        XCTAssertEqual(single.body, get.body)
    }

    func testAcceptRulesOutOCITypes() async throws {
        let t = TestRegistry()
        let (d1, m1) = try await t.pushImage("app", "one")
        let index = try json(["schemaVersion": 2, "mediaType": MediaTypes.ociIndex,
                              "manifests": [["mediaType": MediaTypes.ociManifest, "digest": d1, "size": m1.count]]])
        let put = try await t.send("PUT", "/v2/app/manifests/idx", headers: ["Content-Type": MediaTypes.ociIndex], body: index)
        XCTAssertEqual(put.status, 201, put.text)
        let dockerOnly = ["Accept": "\(MediaTypes.dockerManifest), \(MediaTypes.dockerManifestList)"]
        for tag in ["one", "idx"] {
            let refused = try await t.send("GET", "/v2/app/manifests/\(tag)", headers: dockerOnly)
            XCTAssertEqual(refused.status, 404, tag)
            XCTAssertEqual(refused.errorCode, "MANIFEST_UNKNOWN", tag)
            XCTAssertTrue(refused.text.contains("Accept header does not include it"), refused.text)
        }
        // No Accept, a wildcard, a q=0 refusal next to the right type: each as it should.
        let noAccept = try await t.send("GET", "/v2/app/manifests/idx")
        XCTAssertEqual(noAccept.status, 200)
        let wildcard = try await t.send("GET", "/v2/app/manifests/idx", headers: ["Accept": "*/*"])
        XCTAssertEqual(wildcard.status, 200)
        let family = try await t.send("HEAD", "/v2/app/manifests/one", headers: ["Accept": "application/*"])
        XCTAssertEqual(family.status, 200)
        let zero = try await t.send("GET", "/v2/app/manifests/idx",
                                    headers: ["Accept": "\(MediaTypes.ociIndex);q=0, \(MediaTypes.dockerManifest)"])
        XCTAssertEqual(zero.status, 404)
        let both = ["Accept": "\(MediaTypes.ociManifest), \(MediaTypes.ociIndex); q=0.5"]
        let ok = try await t.send("GET", "/v2/app/manifests/idx", headers: both)
        XCTAssertEqual(ok.headers["Content-Type"], MediaTypes.ociIndex)
    }

    func testOCIIndexRequiresChildManifests() async throws {
        let t = TestRegistry()
        let (d1, m1) = try await t.pushImage("app", "one")
        let missing = TestRegistry.digest(Data("not a manifest".utf8))
        let bad = try json(["schemaVersion": 2, "mediaType": MediaTypes.ociIndex,
                            "manifests": [["mediaType": MediaTypes.ociManifest, "digest": missing, "size": 10]]])
        let r = try await t.send("PUT", "/v2/app/manifests/idx", headers: ["Content-Type": MediaTypes.ociIndex], body: bad)
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.errorCode, "MANIFEST_BLOB_UNKNOWN")
        let good = try json(["schemaVersion": 2, "mediaType": MediaTypes.ociIndex,
                             "manifests": [["mediaType": MediaTypes.ociManifest, "digest": d1, "size": m1.count]]])
        let ok = try await t.send("PUT", "/v2/app/manifests/idx", headers: ["Content-Type": MediaTypes.ociIndex], body: good)
        XCTAssertEqual(ok.status, 201, ok.text)
        // The child must be in this repository, not just anywhere.
        let elsewhere = try await t.send("PUT", "/v2/other/manifests/idx", headers: ["Content-Type": MediaTypes.ociIndex], body: good)
        XCTAssertEqual(elsewhere.errorCode, "MANIFEST_BLOB_UNKNOWN")
    }

    func testMissingBlobsAreRefused() async throws {
        let t = TestRegistry()
        let config = try await t.pushBlob("app", Data("{}".utf8))
        let absent = TestRegistry.digest(Data("absent layer".utf8))
        let data = try json(["schemaVersion": 2, "mediaType": MediaTypes.ociManifest,
                             "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2],
                             "layers": [["mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": absent, "size": 12]]])
        let r = try await t.send("PUT", "/v2/app/manifests/v1", headers: ["Content-Type": MediaTypes.ociManifest], body: data)
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.errorCode, "MANIFEST_BLOB_UNKNOWN")
        let detail = ((r.json?["errors"] as? [[String: Any]])?.first?["detail"]) as? String
        XCTAssertEqual(detail, absent)
        // A config only linked in another repository is unknown here too.
        let foreignConfig = try json(["schemaVersion": 2, "mediaType": MediaTypes.ociManifest,
                                      "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2],
                                      "layers": [Any]()])
        let other = try await t.send("PUT", "/v2/other/manifests/v1", headers: ["Content-Type": MediaTypes.ociManifest], body: foreignConfig)
        XCTAssertEqual(other.errorCode, "MANIFEST_BLOB_UNKNOWN")
    }

    func testNondistributableLayersAreExempt() async throws {
        let t = TestRegistry()
        let config = try await t.pushBlob("app", Data("{}".utf8))
        let foreign = TestRegistry.digest(Data("windows base layer".utf8))
        let data = try json(["schemaVersion": 2, "mediaType": MediaTypes.dockerManifest,
                             "config": ["mediaType": "application/vnd.docker.container.image.v1+json", "digest": config, "size": 2],
                             "layers": [["mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "digest": foreign,
                                         "size": 100, "urls": ["https://example.com/layer"]]]])
        let r = try await t.send("PUT", "/v2/app/manifests/win", headers: ["Content-Type": MediaTypes.dockerManifest], body: data)
        XCTAssertEqual(r.status, 201, r.text)
    }

    func testSchema1Refused() async throws {
        let t = TestRegistry()
        let s1 = try json(["schemaVersion": 1, "name": "app", "tag": "v1", "fsLayers": [Any](), "history": [Any]()])
        for ct in [MediaTypes.dockerSchema1, MediaTypes.dockerSchema1Signed, "application/json"] {
            let r = try await t.send("PUT", "/v2/app/manifests/v1", headers: ["Content-Type": ct], body: s1)
            XCTAssertEqual(r.status, 400, ct)
            XCTAssertEqual(r.errorCode, "MANIFEST_INVALID")
            XCTAssertTrue(r.text.contains("schema1 manifests are not supported"), r.text)
        }
    }

    func testInvalidManifests() async throws {
        let t = TestRegistry()
        let cases: [Data] = [
            Data("not json".utf8),
            try json(["schemaVersion": 3, "mediaType": MediaTypes.ociManifest]),
            try json(["schemaVersion": 2, "mediaType": MediaTypes.ociManifest, "layers": [Any]()]),
            try json(["schemaVersion": 2, "mediaType": "application/vnd.example.unknown", "config": [String: Any]()]),
            try json(["schemaVersion": 2, "mediaType": MediaTypes.ociManifest,
                      "config": ["mediaType": "x/y", "digest": "sha256:nothex", "size": 1], "layers": [Any]()]),
            try json(["schemaVersion": 2, "mediaType": MediaTypes.ociManifest,
                      "config": ["mediaType": "x/y", "digest": TestRegistry.digest(Data()), "size": -1], "layers": [Any]()]),
        ]
        for body in cases {
            let r = try await t.send("PUT", "/v2/app/manifests/v1", headers: ["Content-Type": MediaTypes.ociManifest], body: body)
            XCTAssertEqual(r.status, 400, String(decoding: body, as: UTF8.self))
            XCTAssertEqual(r.errorCode, "MANIFEST_INVALID", String(decoding: body, as: UTF8.self))
        }
    }

    /// JSON numbers where the spec has integers: a boolean or a fraction is MANIFEST_INVALID,
    /// as distribution's Go decoder refuses them. Foundation on Linux reads `true` and `1.0`
    /// as the Int 1, which let `"size": true` and `"schemaVersion": 2.0` through, and clients
    /// then could not decode what was stored.
    func testSizesAndSchemaVersionAreIntegers() async throws {
        let t = TestRegistry()
        let d = try await t.pushBlob("app", Data("x".utf8))
        func manifest(schemaVersion: String = "2", size: String) -> Data {
            Data(#"{"schemaVersion":\#(schemaVersion),"mediaType":"\#(MediaTypes.ociManifest)","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(d)","size":\#(size)},"layers":[]}"#.utf8)
        }
        let ok = try await t.send("PUT", "/v2/app/manifests/ok", headers: ["Content-Type": MediaTypes.ociManifest], body: manifest(size: "1"))
        XCTAssertEqual(ok.status, 201, ok.text)
        for body in [manifest(size: "true"), manifest(size: "1.0"), manifest(size: "1e0"), manifest(size: "18446744073709551615"),
                     manifest(schemaVersion: "2.0", size: "1"), manifest(schemaVersion: "true", size: "1")] {
            let r = try await t.send("PUT", "/v2/app/manifests/v1", headers: ["Content-Type": MediaTypes.ociManifest], body: body)
            XCTAssertEqual(r.status, 400, String(decoding: body, as: UTF8.self))
            XCTAssertEqual(r.errorCode, "MANIFEST_INVALID", String(decoding: body, as: UTF8.self))
        }
    }

    func testDigestReferenceMustMatch() async throws {
        let t = TestRegistry()
        let (_, data) = try await t.pushImage("app", "v1")
        let wrong = TestRegistry.digest(Data("x".utf8))
        let r = try await t.send("PUT", "/v2/app/manifests/\(wrong)", headers: ["Content-Type": MediaTypes.ociManifest], body: data)
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.errorCode, "DIGEST_INVALID")
        let right = try await t.send("PUT", "/v2/app/manifests/\(TestRegistry.digest(data))", headers: ["Content-Type": MediaTypes.ociManifest], body: data)
        XCTAssertEqual(right.status, 201)
    }

    func testOversizedManifestIs413() async throws {
        let t = TestRegistry()
        let big = Data(repeating: 0x20, count: (4 << 20) + 1)
        let r = try await t.send("PUT", "/v2/app/manifests/big", headers: ["Content-Type": MediaTypes.ociManifest], body: big)
        XCTAssertEqual(r.status, 413)
        XCTAssertEqual(r.errorCode, "MANIFEST_INVALID")
    }

    func testUnknownManifest() async throws {
        let t = TestRegistry()
        let r = try await t.send("GET", "/v2/app/manifests/nope")
        XCTAssertEqual(r.status, 404)
        XCTAssertEqual(r.errorCode, "MANIFEST_UNKNOWN")
        let d = try await t.send("HEAD", "/v2/app/manifests/" + TestRegistry.digest(Data("z".utf8)))
        XCTAssertEqual(d.status, 404)
        // Issue 20: a reference that is neither tag nor digest names no manifest (404 on
        // GET/HEAD, as the OCI conformance suites expect); pushing to it stays 400 TAG_INVALID.
        let badTag = try await t.send("GET", "/v2/app/manifests/.bad")
        XCTAssertEqual(badTag.status, 404)
        XCTAssertEqual(badTag.errorCode, "MANIFEST_UNKNOWN")
        let badPut = try await t.send("PUT", "/v2/app/manifests/.bad", headers: ["Content-Type": MediaTypes.ociManifest], body: Data("{}".utf8))
        XCTAssertEqual(badPut.status, 400)
        XCTAssertEqual(badPut.errorCode, "TAG_INVALID")
    }

    func testTagMovesAndReadsStorageEachTime() async throws {
        let t = TestRegistry()
        let (d1, _) = try await t.pushImage("app", "latest", layer: "one")
        let (d2, _) = try await t.pushImage("app", "latest", layer: "two")
        XCTAssertNotEqual(d1, d2)
        let r = try await t.send("HEAD", "/v2/app/manifests/latest")
        XCTAssertEqual(r.headers["Docker-Content-Digest"], d2)
        // Another replica moves the tag directly in storage: we must see it.
        try await t.driver.putContent("/docker/registry/v2/repositories/app/_manifests/tags/latest/current/link", Data(d1.utf8))
        let after = try await t.send("HEAD", "/v2/app/manifests/latest")
        XCTAssertEqual(after.headers["Docker-Content-Digest"], d1)
    }

    func testDeleteByDigestRemovesTags() async throws {
        let t = TestRegistry { $0.deleteEnabled = true }
        let (d1, _) = try await t.pushImage("app", "v1")
        let stored = try await t.send("GET", "/v2/app/manifests/v1").body
        let put = try await t.send("PUT", "/v2/app/manifests/v1-alias", headers: ["Content-Type": MediaTypes.ociManifest], body: stored)
        XCTAssertEqual(put.status, 201)
        let del = try await t.send("DELETE", "/v2/app/manifests/\(d1)")
        XCTAssertEqual(del.status, 202)
        for ref in [d1, "v1", "v1-alias"] {
            let r = try await t.send("GET", "/v2/app/manifests/\(ref)")
            XCTAssertEqual(r.status, 404, ref)
            XCTAssertEqual(r.errorCode, "MANIFEST_UNKNOWN")
        }
        let again = try await t.send("DELETE", "/v2/app/manifests/\(d1)")
        XCTAssertEqual(again.status, 404)
    }

    func testDeleteByTagKeepsRevision() async throws {
        let t = TestRegistry { $0.deleteEnabled = true }
        let (d1, _) = try await t.pushImage("app", "v1")
        let del = try await t.send("DELETE", "/v2/app/manifests/v1")
        XCTAssertEqual(del.status, 202)
        do { let r_ = try await t.send("GET", "/v2/app/manifests/v1"); XCTAssertEqual(r_.status, 404) }
        do { let r_ = try await t.send("GET", "/v2/app/manifests/\(d1)"); XCTAssertEqual(r_.status, 200) }
    }

    func testDeleteDisabled() async throws {
        let t = TestRegistry()
        let (d1, _) = try await t.pushImage("app", "v1")
        let del = try await t.send("DELETE", "/v2/app/manifests/\(d1)")
        XCTAssertEqual(del.status, 405)
        XCTAssertEqual(del.errorCode, "UNSUPPORTED")
        do { let r_ = try await t.send("GET", "/v2/app/manifests/v1"); XCTAssertEqual(r_.status, 200) }
    }

    func testMediaTypeMustMatchContentType() async throws {
        let t = TestRegistry()
        let (_, data) = try await t.pushImage("app", "v1")
        let r = try await t.send("PUT", "/v2/app/manifests/v2", headers: ["Content-Type": MediaTypes.dockerManifest], body: data)
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.errorCode, "MANIFEST_INVALID")
    }

    func testTagOfUnlinkedRevisionIsUnknown() async throws {
        let t = TestRegistry()
        let (digest, _) = try await t.pushImage("app", "v1")
        try await t.driver.delete("/docker/registry/v2/repositories/app/_manifests/revisions/sha256/\(digest.dropFirst(7))/link")
        let r = try await t.send("GET", "/v2/app/manifests/v1")
        XCTAssertEqual(r.status, 404)
        XCTAssertEqual(r.errorCode, "MANIFEST_UNKNOWN")
    }
}
