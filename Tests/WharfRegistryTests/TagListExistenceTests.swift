import Foundation
import WharfAPI
import XCTest
import WharfHTTP
@testable import WharfRegistry
@testable import WharfStorage

/// tags/list on a driver without empty directories (the in-memory driver, like every object
/// store): a repository without tags lists `[]` while it has revisions or layer links.
final class TagListExistenceTests: XCTestCase {
    func context() -> RegistryContext {
        var options = RegistryOptions()
        options.httpSecret = Array("secret".utf8)
        return RegistryContext(options: options, driver: InMemoryDriver(), logger: Logger(level: .error), secret: options.httpSecret)
    }

    func testRepositoryWithoutTagsListsNoTagsUntilItIsGone() async throws {
        let c = context()
        let store = ManifestStore(context: c)
        let name = try RepositoryName("app")
        let digest = try Digest(parsing: "sha256:" + String(repeating: "b", count: 64))
        let layer = try Digest(parsing: "sha256:" + String(repeating: "c", count: 64))
        let missing = try await store.tags(name)
        XCTAssertNil(missing)

        try await c.links.write(c.paths.layerLink(name, layer), layer)
        let layersOnly = try await store.tags(name)
        XCTAssertEqual(layersOnly, [])

        try await c.links.write(c.paths.revisionLink(name, digest), digest)
        try await c.links.write(c.paths.tagCurrentLink(name, try XCTUnwrap(Tag("v1"))), digest)
        let tagged = try await store.tags(name)
        XCTAssertEqual(tagged, ["v1"])

        let deleted = try await store.deleteRevision(name, digest)
        XCTAssertNotNil(deleted)
        let afterDelete = try await store.tags(name)
        XCTAssertEqual(afterDelete, [], "layer links remain: the repository exists")

        try await c.links.delete(c.paths.layerLink(name, layer))
        let gone = try await store.tags(name)
        XCTAssertNil(gone)
    }
}
