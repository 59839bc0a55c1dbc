import Foundation
@testable import WharfAuth
import XCTest
import WharfTestSupport

/// The policy file is re-read when it changes; a broken edit keeps the old policy.
final class PolicyStoreTests: XCTestCase {
    func testReloadsOnChangeAndKeepsOldPolicyOnError() throws {
        let path = try makeScratchDirectory("policy").appending("policy.yml").path
        try "users:\n  - name: a\n".write(toFile: path, atomically: true, encoding: .utf8)
        let store = try PolicyStore(path: path)
        XCTAssertEqual(store.current().users.map(\.name), ["a"])
        let generation = store.generation

        try "users:\n  - name: a\n  - name: b\n".write(toFile: path, atomically: true, encoding: .utf8)
        store.reload()
        XCTAssertEqual(store.current().users.map(\.name), ["a", "b"])
        XCTAssertGreaterThan(store.generation, generation)

        try "users:\n  - name: [\n".write(toFile: path, atomically: true, encoding: .utf8)
        store.reload()
        XCTAssertEqual(store.current().users.map(\.name), ["a", "b"], "a broken file keeps the previous policy")
    }

    func testMissingFileIsAStartupError() {
        XCTAssertThrowsError(try PolicyStore(path: "/nonexistent/policy.yml"))
    }

    func testCredentialCacheIsBoundedAndHonoursGeneration() {
        let cache = CredentialCache<Int>(capacity: 8, lifetime: 60)
        for i in 0..<100 { cache.set("k\(i)", i, generation: 1) }
        XCTAssertLessThanOrEqual(cache.count, 8)
        XCTAssertEqual(cache.get("k99", generation: 1), 99)
        XCTAssertNil(cache.get("k99", generation: 2), "a newer policy forgets cached identities")
        XCTAssertNil(cache.get("k0", generation: 1), "the oldest entries were dropped")
    }
}
