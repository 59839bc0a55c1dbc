import XCTest
@testable import WharfRegistry

/// The JSON of a notification event: distribution's field names, empty fields left out.
final class RegistryEventTests: XCTestCase {
    func testEnvelopeFieldsAsDistributionNamesThem() throws {
        var target = RegistryEvent.Target(repository: "a/b")
        target.mediaType = "application/octet-stream"
        target.size = 12
        target.digest = "sha256:00"
        target.url = "http://r/v2/a/b/blobs/sha256:00"
        let event = RegistryEvent(action: .pull, target: target,
                                  request: .init(id: "rid", addr: "1.2.3.4:5", host: "r", method: "GET", userAgent: "ua"),
                                  actor: nil, source: .init(addr: "h:5000", instanceID: "iid"),
                                  id: "eid", timestamp: Date(timeIntervalSince1970: 0))
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: RegistryEvent.envelope([event])) as? [String: Any])
        let e = try XCTUnwrap((doc["events"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(e.keys), ["id", "timestamp", "action", "target", "request", "actor", "source"])
        XCTAssertEqual(e["timestamp"] as? String, "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(e["action"] as? String, "pull")
        let t = try XCTUnwrap(e["target"] as? [String: Any])
        XCTAssertEqual(Set(t.keys), ["mediaType", "size", "length", "digest", "repository", "url"])
        XCTAssertEqual(t["length"] as? Int, 12)
        XCTAssertEqual(e["request"] as? [String: String], ["id": "rid", "addr": "1.2.3.4:5", "host": "r", "method": "GET", "useragent": "ua"])
        XCTAssertEqual((e["actor"] as? [String: Any])?.count, 0)
        XCTAssertEqual(e["source"] as? [String: String], ["addr": "h:5000", "instanceID": "iid"])
    }

    func testDeleteTargetHasOnlyRepositoryAndDigestOrTag() throws {
        var target = RegistryEvent.Target(repository: "a")
        target.tag = "v1"
        let event = RegistryEvent(action: .delete, target: target,
                                  request: .init(id: "r", addr: "", host: "", method: "DELETE", userAgent: ""),
                                  actor: "alice", source: .init(addr: "h", instanceID: "i"))
        let e = event.jsonObject
        XCTAssertEqual(e["target"] as? [String: String], ["repository": "a", "tag": "v1"])
        XCTAssertEqual(e["actor"] as? [String: String], ["name": "alice"])
    }

    func testFiltersLeaveOutIgnoredActionsAndMediaTypes() {
        var settings = NotificationEndpointSettings(name: "n", url: "http://x/")
        settings.ignoredActions = ["pull"]
        settings.ignoredMediaTypes = ["application/octet-stream"]
        let request = RegistryEvent.RequestRecord(id: "", addr: "", host: "", method: "GET", userAgent: "")
        let source = RegistryEvent.Source(addr: "", instanceID: "")
        var manifest = RegistryEvent.Target(repository: "a")
        manifest.mediaType = "application/vnd.oci.image.manifest.v1+json"
        var blob = RegistryEvent.Target(repository: "a")
        blob.mediaType = "application/octet-stream"
        XCTAssertTrue(settings.wants(RegistryEvent(action: .push, target: manifest, request: request, actor: nil, source: source)))
        XCTAssertFalse(settings.wants(RegistryEvent(action: .pull, target: manifest, request: request, actor: nil, source: source)))
        XCTAssertFalse(settings.wants(RegistryEvent(action: .push, target: blob, request: request, actor: nil, source: source)))
        XCTAssertTrue(settings.wants(RegistryEvent(action: .delete, target: RegistryEvent.Target(repository: "a"),
                                                   request: request, actor: nil, source: source)))
    }
}

/// Event ids: UUID-shaped (version 4, RFC 4122 variant) and never repeated.
final class EventIDTests: XCTestCase {
    func testIDsAreUniqueUUIDs() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = EventID.next()
            XCTAssertNotNil(UUID(uuidString: id), id)
            XCTAssertEqual(Array(id)[14], "4", id)
            XCTAssertTrue("89ab".contains(Array(id)[19]), id)
            XCTAssertTrue(seen.insert(id).inserted, id)
        }
    }
}
