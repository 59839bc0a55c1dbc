import Foundation
import XCTest
import WharfHTTP
@testable import WharfRegistry
@testable import WharfStorage

/// A filesystem driver that counts how many directories `listDirectories` actually read.
final class CountingListDriver: StorageDriver, @unchecked Sendable {
    let inner: FilesystemDriver
    private let lock = NSLock()
    private var listedCount = 0
    var listed: Int { lock.withLock { listedCount } }

    init(_ inner: FilesystemDriver) { self.inner = inner }

    var name: String { inner.name }
    func getContent(_ path: String) async throws -> Data { try await inner.getContent(path) }
    func putContent(_ path: String, _ content: Data) async throws { try await inner.putContent(path, content) }
    func reader(_ path: String, offset: Int64) async throws -> StorageReader { try await inner.reader(path, offset: offset) }
    func writer(_ path: String, append: Bool) async throws -> StorageWriter { try await inner.writer(path, append: append) }
    func stat(_ path: String) async throws -> FileInfo { try await inner.stat(path) }
    func list(_ path: String) async throws -> [String] { try await inner.list(path) }
    func move(from source: String, to destination: String) async throws { try await inner.move(from: source, to: destination) }
    func delete(_ path: String) async throws { try await inner.delete(path) }
    func redirectURL(_ path: String, method: String) async throws -> String? { try await inner.redirectURL(path, method: method) }
    func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws { try await inner.walk(path, visit) }
    func listDirectories(_ queries: [DirectoryQuery]) async throws -> [DirectorySnapshot]? {
        let answers = try await inner.listDirectories(queries)
        let n = answers?.filter { if case .listed = $0 { return true } else { return false } }.count ?? 0
        lock.withLock { listedCount += n }
        return answers
    }
}

/// TagListCache and CatalogIndex: reused while storage says nothing changed, exact as
/// soon as anything did, through this replica or another on the same root.
final class ListingCacheTests: XCTestCase {
    var scratch: URL!

    override func setUp() {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-listing-\(UUID().uuidString)")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: scratch)
    }

    func context() throws -> (RegistryContext, CountingListDriver) {
        let driver = CountingListDriver(try FilesystemDriver(root: scratch.path))
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
