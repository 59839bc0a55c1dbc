import Foundation
import WharfAPI
import XCTest
import WharfTestSupport
import WharfHTTP
@testable import WharfRegistry
@testable import WharfStorage

/// A filesystem driver that counts how many directories `listDirectories` actually read
/// and how many it was asked about (each a `stat` by path); with `handles` false it holds no
/// directories open, as a driver without handles.
final class CountingListDriver: ForwardingDriver, DirectoryVersioning, @unchecked Sendable {
    let inner: FilesystemDriver
    let handles: Bool
    private let lock = NSLock()
    private var listedCount = 0
    private var queriedCount = 0
    private var openedCount = 0
    var listed: Int { lock.withLock { listedCount } }
    var queried: Int { lock.withLock { queriedCount } }
    var opened: Int { lock.withLock { openedCount } }

    init(_ inner: FilesystemDriver, handles: Bool = true) {
        self.inner = inner
        self.handles = handles
    }

    func openDirectoryHandles(_ paths: [String]) async throws -> [DirectoryHandle?]? {
        guard handles else { return nil }
        lock.withLock { openedCount += paths.count }
        return try await inner.openDirectoryHandles(paths)
    }
    func directoryVersions(_ directories: [DirectoryReference]) async throws -> [DirectoryVersion?] {
        try await inner.directoryVersions(directories)
    }

    func listDirectories(_ queries: [DirectoryQuery]) async throws -> [DirectorySnapshot]? {
        let answers = try await inner.listDirectories(queries)
        let n = answers?.filter { if case .listed = $0 { return true } else { return false } }.count ?? 0
        lock.withLock {
            listedCount += n
            queriedCount += queries.count
        }
        return answers
    }
}

/// TagListCache and CatalogIndex: reused while storage says nothing changed, exact as
/// soon as anything did, through this replica or another on the same root.
final class ListingCacheTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try makeScratchDirectory("wharf-listing").url
    }

    func context(handles: Bool = true) throws -> (RegistryContext, CountingListDriver) {
        let driver = CountingListDriver(try FilesystemDriver(root: scratch.path), handles: handles)
        var options = RegistryOptions()
        options.httpSecret = Array("secret".utf8)
        return (RegistryContext(options: options, driver: driver, logger: Logger(level: .error), secret: options.httpSecret), driver)
    }

    func tag(_ c: RegistryContext, _ repository: String, _ tag: String) async throws {
        let digest = try Digest(parsing: "sha256:" + String(repeating: "a", count: 64))
        try await c.links.write(c.paths.tagCurrentLink(try RepositoryName(repository), try XCTUnwrap(Tag(tag))), digest)
    }

    func settle() async throws { try await Task.sleep(nanoseconds: 2_200_000_000) }

    func testTagListIsReusedOnlyWhileTheTagsDirectoryIsUnchanged() async throws {
        let (a, counting) = try context()
        let (b, _) = try context() // a second replica on the same root
        let name = try RepositoryName("app")
        try await tag(a, "app", "v1")
        try await settle()
        let v1 = try await ManifestStore(context: a).tags(name)
        XCTAssertEqual(v1, ["v1"])
        let afterFirst = counting.listed
        let v2 = try await ManifestStore(context: a).tags(name)
        XCTAssertEqual(v2, ["v1"])
        XCTAssertEqual(counting.listed, afterFirst, "a settled, unchanged tags directory is not read again")

        try await tag(b, "app", "v2")
        let v3 = try await ManifestStore(context: a).tags(name)
        XCTAssertEqual(v3, ["v1", "v2"])
        let v4 = try await ManifestStore(context: a).tags(name)
        XCTAssertEqual(v4, ["v1", "v2"])
        XCTAssertGreaterThan(counting.listed, afterFirst, "a changed tags directory is read again")

        let v5 = try await ManifestStore(context: b).deleteTag(name, try XCTUnwrap(Tag("v1")))
        XCTAssertTrue(v5)
        let v6 = try await ManifestStore(context: a).tags(name)
        XCTAssertEqual(v6, ["v2"])
        let v7 = try await ManifestStore(context: a).tags(try RepositoryName("none"))
        XCTAssertNil(v7)
    }

    func testCatalogIsValidatedWithoutRereadingUnchangedDirectories() async throws {
        let (a, counting) = try context()
        let (b, _) = try context()
        let root = a.paths.repositoriesRoot
        for name in ["p/one", "p/two", "q"] { try await tag(a, name, "v1") }
        try await settle()
        let v8 = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(v8, ["p/one", "p/two", "q"])
        let afterFirst = counting.listed
        let v9 = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(v9, ["p/one", "p/two", "q"])
        XCTAssertEqual(counting.listed, afterFirst, "nothing changed: no directory is read again")

        try await tag(b, "p/one/nested", "v1")
        try await tag(b, "r", "v1")
        let v10 = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(v10, ["p/one", "p/one/nested", "p/two", "q", "r"])
        try await b.driver.delete(root + "/p/two")
        try await b.driver.delete(root + "/q/_manifests")
        let v11 = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(v11, ["p/one", "p/one/nested", "r"])
        try await b.driver.delete(root)
        let v12 = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(v12, [])
        try await tag(b, "s", "v1")
        let v13 = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(v13, ["s"])
    }

    func testCatalogWithoutHandlesIsValidatedByPath() async throws {
        let (a, counting) = try context(handles: false)
        let (b, _) = try context()
        let root = a.paths.repositoriesRoot
        for name in ["p/one", "q"] { try await tag(a, name, "v1") }
        try await settle()
        let first = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(first, ["p/one", "q"])
        let (listedBefore, queriedBefore) = (counting.listed, counting.queried)
        let again = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(again, ["p/one", "q"])
        XCTAssertEqual(counting.listed, listedBefore, "nothing changed: no directory is read again")
        // The root's version is read by path first; then each other kept directory is one query.
        XCTAssertEqual(counting.queried - queriedBefore, 3, "without handles every kept directory is checked by path")
        try await tag(b, "p/one/nested", "v1")
        let after = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(after, ["p/one", "p/one/nested", "q"])
    }

    func testUnchangedCatalogIsConfirmedThroughHandlesWithoutPathChecks() async throws {
        let (a, counting) = try context()
        let root = a.paths.repositoriesRoot
        for name in ["p/one", "p/two", "q"] { try await tag(a, name, "v1") }
        try await settle()
        _ = try await a.catalog.repositories(driver: a.driver, root: root) // lists, opens handles
        let queriedBefore = counting.queried
        let again = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(again, ["p/one", "p/two", "q"])
        XCTAssertEqual(counting.queried, queriedBefore, "the root by version, the rest through handles: no listing query")
    }

    /// A directory changed less than 2 s ago is listed on every request, so everything
    /// below it is checked by path: no handles are opened there until it settles.
    func testNoHandlesAreOpenedBelowAFreshDirectory() async throws {
        let (a, counting) = try context()
        let (b, _) = try context()
        let root = a.paths.repositoriesRoot
        for name in ["p/one", "p/two", "q"] { try await tag(a, name, "v1") }
        try await settle()
        _ = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(counting.opened, 4, "p, p/one, p/two, q")
        try await tag(b, "p/three", "v1")
        let fresh = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(fresh, ["p/one", "p/three", "p/two", "q"])
        let again = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(again, ["p/one", "p/three", "p/two", "q"])
        XCTAssertEqual(counting.opened, 4, "p is fresh: its subdirectories keep being checked by path")
        try await settle()
        let settled = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(settled, ["p/one", "p/three", "p/two", "q"])
        XCTAssertGreaterThan(counting.opened, 4, "once p settles, its subdirectories get handles again")
        let queriedBefore = counting.queried
        _ = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(counting.queried, queriedBefore, "and are confirmed through them")
    }

    /// A handle names a directory object, not a path: `x/p/one` moved away with its parent
    /// keeps its version, so its handle must not be believed once an ancestor changed.
    func testReplacedDirectoryIsNotTrustedThroughItsOldHandle() async throws {
        let (a, _) = try context()
        let (b, _) = try context()
        let root = a.paths.repositoriesRoot
        for name in ["x/p/one", "q"] { try await tag(a, name, "v1") }
        try await settle()
        _ = try await a.catalog.repositories(driver: a.driver, root: root)
        let confirmed = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(confirmed, ["q", "x/p/one"])

        let host = scratch.path + root
        try FileManager.default.moveItem(atPath: host + "/x/p", toPath: host + "/x/p-old")
        try await tag(b, "x/p/one", "v1")
        try await tag(b, "x/p/one/deep", "v1")
        let replaced = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(replaced, ["q", "x/p-old/one", "x/p/one", "x/p/one/deep"])
    }

    /// The same through the root: a whole new `repositories/` under the same path.
    func testReplacedRootIsNotTrustedThroughOldHandles() async throws {
        let (a, _) = try context()
        let (b, _) = try context()
        let root = a.paths.repositoriesRoot
        for name in ["p/one", "q"] { try await tag(a, name, "v1") }
        try await settle()
        _ = try await a.catalog.repositories(driver: a.driver, root: root)
        let confirmed = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(confirmed, ["p/one", "q"])

        let host = scratch.path + root
        try FileManager.default.moveItem(atPath: host, toPath: scratch.path + "/old-repositories")
        try await tag(b, "p/one", "v1")
        try await tag(b, "p/one/deep", "v1")
        try await tag(b, "q", "v1")
        let replaced = try await a.catalog.repositories(driver: a.driver, root: root)
        XCTAssertEqual(replaced, ["p/one", "p/one/deep", "q"])
    }

    func catalogPage(_ c: RegistryContext, _ target: String) async throws -> (names: [String], link: String?) {
        let response = try await CatalogHandler(context: c).list(HTTPRequest(method: "GET", target: target))
        guard case .bytes(let body) = response.body else { throw XCTSkip("catalog body is not bytes") }
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        return (try XCTUnwrap(json["repositories"] as? [String]), response.headers["Link"])
    }

    func testCatalogPagesAreReencodedAsSoonAsAnotherReplicaChangesTheTree() async throws {
        let (a, _) = try context()
        let (b, _) = try context()
        for name in ["a", "b", "c"] { try await tag(a, name, "v1") }
        try await settle()
        let all = try await catalogPage(a, "/v2/_catalog?n=1000")
        XCTAssertEqual(all.names, ["a", "b", "c"])
        let same = try await catalogPage(a, "/v2/_catalog?n=1000")
        XCTAssertEqual(same.names, ["a", "b", "c"])
        let firstTwo = try await catalogPage(a, "/v2/_catalog?n=2")
        XCTAssertEqual(firstTwo.names, ["a", "b"], "another n is another page")
        XCTAssertEqual(firstTwo.link, "</v2/_catalog?last=b&n=2>; rel=\"next\"")
        let rest = try await catalogPage(a, "/v2/_catalog?n=2&last=b")
        XCTAssertEqual(rest.names, ["c"])
        XCTAssertNil(rest.link)

        try await tag(b, "bb", "v1") // through a second driver, as another replica would
        let added = try await catalogPage(a, "/v2/_catalog?n=1000")
        XCTAssertEqual(added.names, ["a", "b", "bb", "c"])
        let restAfter = try await catalogPage(a, "/v2/_catalog?n=2&last=b")
        XCTAssertEqual(restAfter.names, ["bb", "c"])
        try await settle()
        _ = try await catalogPage(a, "/v2/_catalog?n=1000")
        let cached = try await catalogPage(a, "/v2/_catalog?n=1000")
        XCTAssertEqual(cached.names, ["a", "b", "bb", "c"])

        try FileManager.default.removeItem(atPath: scratch.path + a.paths.repositoriesRoot + "/b")
        let removed = try await catalogPage(a, "/v2/_catalog?n=1000")
        XCTAssertEqual(removed.names, ["a", "bb", "c"])
        try await b.driver.delete(a.paths.repositoriesRoot + "/c/_manifests")
        let unmarked = try await catalogPage(a, "/v2/_catalog?n=1000")
        XCTAssertEqual(unmarked.names, ["a", "bb"])
    }

    func testCatalogPageCacheServesOnlyItsGeneration() {
        let cache = CatalogPageCache(capacity: 2)
        let request = HTTPRequest(method: "GET", target: "/v2/_catalog?n=5")
        let pagination = try! Pagination(request: request, defaultLimit: 10, maximum: 10)
        var made = 0
        func page(_ generation: UInt64, _ text: String) -> String {
            let p = cache.page(generation: generation, pagination) {
                made += 1
                return CatalogPageCache.Page(body: Data(text.utf8), link: nil)
            }
            return String(decoding: p.body, as: UTF8.self)
        }
        XCTAssertEqual(page(1, "one"), "one")
        XCTAssertEqual(page(1, "other"), "one", "same generation and query: the kept page")
        XCTAssertEqual(made, 1)
        XCTAssertEqual(page(2, "two"), "two", "a new generation is never answered from an old one")
        XCTAssertEqual(page(1, "late"), "late", "an older generation is made, not served from the newer")
        XCTAssertEqual(page(2, "again"), "two", "and does not displace the newer generation's pages")
        XCTAssertEqual(made, 3)
    }

    func testListBodiesAreTheJSONOfJSONSerialization() throws {
        let names = ["a", "b/c", "quote\"back\\slash", "ctl\u{1}\n\t", "ü", ""]
        let body = NameListJSON.tags(name: "x/y", tags: names)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        XCTAssertEqual(parsed["name"] as? String, "x/y")
        XCTAssertEqual(parsed["tags"] as? [String], names)
        XCTAssertEqual(String(decoding: NameListJSON.tags(name: "a/b", tags: ["v1", "v2"]), as: UTF8.self),
                       #"{"name":"a/b","tags":["v1","v2"]}"#)
        XCTAssertEqual(String(decoding: NameListJSON.repositories([]), as: UTF8.self), #"{"repositories":[]}"#)
        let repos = try XCTUnwrap(try JSONSerialization.jsonObject(with: NameListJSON.repositories(names)) as? [String: Any])
        XCTAssertEqual(repos["repositories"] as? [String], names)
    }
}
