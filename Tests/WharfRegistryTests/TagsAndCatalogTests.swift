import WharfAPI
import XCTest
@testable import WharfRegistry

final class TagsAndCatalogTests: XCTestCase {
    func testTagListPagination() async throws {
        let t = TestRegistry()
        let (_, data) = try await t.pushImage("app", "b")
        for tag in ["a", "c", "d", "e"] {
            let r = try await t.send("PUT", "/v2/app/manifests/\(tag)", headers: ["Content-Type": MediaTypes.ociManifest], body: data)
            XCTAssertEqual(r.status, 201)
        }
        let all = try await t.send("GET", "/v2/app/tags/list")
        XCTAssertEqual(all.status, 200)
        XCTAssertEqual(all.json?["name"] as? String, "app")
        XCTAssertEqual(all.headers["Content-Type"], "application/json; charset=utf-8")
        XCTAssertEqual(all.json?["tags"] as? [String], ["a", "b", "c", "d", "e"])
        XCTAssertNil(all.headers["Link"])

        let page1 = try await t.send("GET", "/v2/app/tags/list?n=2")
        XCTAssertEqual(page1.json?["tags"] as? [String], ["a", "b"])
        XCTAssertEqual(page1.headers["Link"], "</v2/app/tags/list?last=b&n=2>; rel=\"next\"")
        let page2 = try await t.send("GET", "/v2/app/tags/list?n=2&last=b")
        XCTAssertEqual(page2.json?["tags"] as? [String], ["c", "d"])
        let page3 = try await t.send("GET", "/v2/app/tags/list?n=2&last=d")
        XCTAssertEqual(page3.json?["tags"] as? [String], ["e"])
        XCTAssertNil(page3.headers["Link"])
        let exact = try await t.send("GET", "/v2/app/tags/list?n=5")
        XCTAssertNil(exact.headers["Link"])
        let bad = try await t.send("GET", "/v2/app/tags/list?n=-1")
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(bad.errorCode, "PAGINATION_NUMBER_INVALID")
    }

    func testTagListUnknownRepository() async throws {
        let t = TestRegistry()
        let r = try await t.send("GET", "/v2/nothing/tags/list")
        XCTAssertEqual(r.status, 404)
        XCTAssertEqual(r.errorCode, "NAME_UNKNOWN")
    }

    func testCatalogPaginationAndNestedNames() async throws {
        let t = TestRegistry { $0.catalogMaxEntries = 3 }
        for name in ["b/inner/deep", "a", "b", "a-c", "z"] {
            try await t.pushBlob(name, Data(name.utf8))
        }
        // An upload alone does not make a repository.
        do { let r_ = try await t.send("POST", "/v2/uploads-only/blobs/uploads/"); XCTAssertEqual(r_.status, 202) }
        let page1 = try await t.send("GET", "/v2/_catalog")
        XCTAssertEqual(page1.json?["repositories"] as? [String], ["a", "a-c", "b"])
        XCTAssertEqual(page1.headers["Link"], "</v2/_catalog?last=b&n=3>; rel=\"next\"")
        let page2 = try await t.send("GET", "/v2/_catalog?n=3&last=b")
        XCTAssertEqual(page2.json?["repositories"] as? [String], ["b/inner/deep", "z"])
        XCTAssertNil(page2.headers["Link"])
        let small = try await t.send("GET", "/v2/_catalog?n=1&last=a")
        XCTAssertEqual(small.json?["repositories"] as? [String], ["a-c"])
        XCTAssertEqual(small.headers["Link"], "</v2/_catalog?last=a-c&n=1>; rel=\"next\"")
    }

    func testEmptyCatalog() async throws {
        let t = TestRegistry()
        let r = try await t.send("GET", "/v2/_catalog")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.json?["repositories"] as? [String], [])
    }
}
