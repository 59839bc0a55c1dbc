import WharfAPI
import XCTest
@testable import WharfRegistry

final class ReferrersTests: XCTestCase {
    /// Pushes an OCI 1.1 artifact (empty config) with `subject` pointing at `subject`.
    func pushArtifact(_ t: TestRegistry, subject: String, subjectSize: Int, artifactType: String, tag: String? = nil) async throws -> (String, Data, [String: String]) {
        let empty = try await t.pushBlob("app", Data("{}".utf8))
        let payload = try await t.pushBlob("app", Data("signature of \(artifactType)".utf8))
        let manifest: [String: Any] = [
            "schemaVersion": 2, "mediaType": MediaTypes.ociManifest, "artifactType": artifactType,
            "config": ["mediaType": MediaTypes.ociEmpty, "digest": empty, "size": 2, "data": "e30="],
            "layers": [["mediaType": "application/octet-stream", "digest": payload, "size": "signature of \(artifactType)".utf8.count]],
            "subject": ["mediaType": MediaTypes.ociManifest, "digest": subject, "size": subjectSize],
            "annotations": ["org.example.kind": artifactType],
        ]
        let data = try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])
        let digest = TestRegistry.digest(data)
        let r = try await t.send("PUT", "/v2/app/manifests/\(tag ?? digest)", headers: ["Content-Type": MediaTypes.ociManifest], body: data)
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(r.headers["OCI-Subject"], subject)
        return (digest, data, r.headers.reduce(into: [:]) { $0[$1.name] = $1.value })
    }

    func testReferrersListingAndFilter() async throws {
        let t = TestRegistry { $0.deleteEnabled = true }
        let (subject, subjectData) = try await t.pushImage("app", "v1")
        let (sig, sigData, _) = try await pushArtifact(t, subject: subject, subjectSize: subjectData.count, artifactType: "application/vnd.example.sig")
        let (sbom, _, _) = try await pushArtifact(t, subject: subject, subjectSize: subjectData.count, artifactType: "application/vnd.example.sbom")

        let all = try await t.send("GET", "/v2/app/referrers/\(subject)")
        XCTAssertEqual(all.status, 200)
        XCTAssertEqual(all.headers["Content-Type"], MediaTypes.ociIndex)
        XCTAssertNil(all.headers["OCI-Filters-Applied"])
        let index = try XCTUnwrap(all.json)
        XCTAssertEqual(index["schemaVersion"] as? Int, 2)
        XCTAssertEqual(index["mediaType"] as? String, MediaTypes.ociIndex)
        let manifests = try XCTUnwrap(index["manifests"] as? [[String: Any]])
        XCTAssertEqual(Set(manifests.compactMap { $0["digest"] as? String }), [sig, sbom])
        let sigEntry = try XCTUnwrap(manifests.first { $0["digest"] as? String == sig })
        XCTAssertEqual(sigEntry["mediaType"] as? String, MediaTypes.ociManifest)
        XCTAssertEqual(sigEntry["size"] as? Int, sigData.count)
        XCTAssertEqual(sigEntry["artifactType"] as? String, "application/vnd.example.sig")
        XCTAssertEqual((sigEntry["annotations"] as? [String: String])?["org.example.kind"], "application/vnd.example.sig")

        let filtered = try await t.send("GET", "/v2/app/referrers/\(subject)?artifactType=application/vnd.example.sbom")
        XCTAssertEqual(filtered.headers["OCI-Filters-Applied"], "artifactType")
        let fm = try XCTUnwrap(filtered.json?["manifests"] as? [[String: Any]])
        XCTAssertEqual(fm.compactMap { $0["digest"] as? String }, [sbom])

        // Deleting a referrer removes it from the listing.
        do { let r_ = try await t.send("DELETE", "/v2/app/manifests/\(sig)"); XCTAssertEqual(r_.status, 202) }
        let after = try await t.send("GET", "/v2/app/referrers/\(subject)")
        XCTAssertEqual((after.json?["manifests"] as? [[String: Any]])?.compactMap { $0["digest"] as? String }, [sbom])
    }

    func testSubjectNeedNotExistAndEmptyListIsNot404() async throws {
        let t = TestRegistry()
        let ghost = TestRegistry.digest(Data("no such subject".utf8))
        _ = try await pushArtifact(t, subject: ghost, subjectSize: 15, artifactType: "application/vnd.example.sig")
        let r = try await t.send("GET", "/v2/app/referrers/\(ghost)")
        XCTAssertEqual((r.json?["manifests"] as? [Any])?.count, 1)
        let none = try await t.send("GET", "/v2/app/referrers/" + TestRegistry.digest(Data("none".utf8)))
        XCTAssertEqual(none.status, 200)
        XCTAssertEqual((none.json?["manifests"] as? [Any])?.count, 0)
        let bad = try await t.send("GET", "/v2/app/referrers/sha256:xyz")
        XCTAssertEqual(bad.errorCode, "DIGEST_INVALID")
    }

    func testArtifactTypeFallsBackToConfigMediaType() async throws {
        let t = TestRegistry()
        let (subject, subjectData) = try await t.pushImage("app", "v1")
        let config = try await t.pushBlob("app", Data("{\"k\":1}".utf8))
        let m: [String: Any] = [
            "schemaVersion": 2, "mediaType": MediaTypes.ociManifest,
            "config": ["mediaType": "application/vnd.example.config.v1+json", "digest": config, "size": 7],
            "layers": [Any](),
            "subject": ["mediaType": MediaTypes.ociManifest, "digest": subject, "size": subjectData.count],
        ]
        let data = try JSONSerialization.data(withJSONObject: m, options: [.sortedKeys])
        do { let r_ = try await t.send("PUT", "/v2/app/manifests/\(TestRegistry.digest(data))", headers: ["Content-Type": MediaTypes.ociManifest], body: data); XCTAssertEqual(r_.status, 201) }
        let r = try await t.send("GET", "/v2/app/referrers/\(subject)?artifactType=application/vnd.example.config.v1%2Bjson")
        let list = try XCTUnwrap(r.json?["manifests"] as? [[String: Any]])
        XCTAssertEqual(list.count, 1)
        XCTAssertEqual(list.first?["artifactType"] as? String, "application/vnd.example.config.v1+json")
    }
}
