#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import WharfStorage
import WharfTestSupport

/// `FilesystemDriver.listDirectories`: versions that change with the entries, listings
/// withheld from reuse while a directory is fresh, kinds from `d_type`.
@Suite("Directory listings with versions")
struct DirectoryListingTests {
    func withDriver(_ body: (FilesystemDriver, String) async throws -> Void) async throws {
        try await Scratch.withFilesystemDriver(body)
    }

    func snapshot(_ driver: any DirectoryVersioning, _ path: String, _ known: DirectoryVersion? = nil) async throws -> DirectorySnapshot {
        let answers = try await driver.listDirectories([DirectoryQuery(path: path, known: known)])
        return try #require(answers?.first)
    }

    func entries(_ snapshot: DirectorySnapshot) -> [DirectoryEntry]? {
        if case .listed(let entries, _) = snapshot { return entries }
        return nil
    }

    /// Versions are withheld for 2 s after a change; a loaded test machine may take longer,
    /// so only ``settledVersionHoldsUntilAnEntryIsAddedOrRemoved`` looks at versions.
    @Test func listsAddressableEntriesSortedWithKinds() async throws {
        try await withDriver { driver, root in
            try await driver.putContent("/d/b/file", Data("x".utf8))
            try await driver.putContent("/d/a", Data("x".utf8))
            try await driver.putContent("/d/_c/x", Data("x".utf8))
            try FileManager.default.createDirectory(atPath: root + "/d/with space", withIntermediateDirectories: true)
            symlink(root + "/d/b", root + "/d/link")
            guard case .listed(let entries, _) = try await snapshot(driver, "/d") else {
                Issue.record("expected a listing")
                return
            }
            #expect(entries == [DirectoryEntry(name: "_c", isDirectory: true), DirectoryEntry(name: "a", isDirectory: false),
                                DirectoryEntry(name: "b", isDirectory: true), DirectoryEntry(name: "link", isDirectory: false)])
            #expect(try await snapshot(driver, "/nothing") == .missing)
            #expect(try await snapshot(driver, "/d/a") == .missing) // a file has no entries
        }
    }

    @Test func settledVersionHoldsUntilAnEntryIsAddedOrRemoved() async throws {
        try await withDriver { driver, root in
            try await driver.putContent("/tags/v1/current/link", Data("x".utf8))
            try await Task.sleep(nanoseconds: 2_200_000_000)
            guard case .listed(let entries, let settled) = try await snapshot(driver, "/tags"), let version = settled else {
                Issue.record("expected a settled listing")
                return
            }
            #expect(entries.map(\.name) == ["v1"])
            #expect(try await snapshot(driver, "/tags", version) == .unchanged)
            // a file below a tag changes nothing in the tags directory itself
            try await driver.putContent("/tags/v1/current/link", Data("y".utf8))
            #expect(try await snapshot(driver, "/tags", version) == .unchanged)

            try await driver.putContent("/tags/v2/current/link", Data("x".utf8))
            guard case .listed(let after, _) = try await snapshot(driver, "/tags", version) else {
                Issue.record("a new tag must change the version")
                return
            }
            #expect(after.map(\.name) == ["v1", "v2"])

            try await Task.sleep(nanoseconds: 2_200_000_000)
            guard case .listed(_, let settled2) = try await snapshot(driver, "/tags"), let version2 = settled2 else {
                Issue.record("expected a settled listing")
                return
            }
            try await driver.delete("/tags/v1")
            guard case .listed(let removed, _) = try await snapshot(driver, "/tags", version2) else {
                Issue.record("a removed tag must change the version")
                return
            }
            #expect(removed.map(\.name) == ["v2"])
            try FileManager.default.removeItem(atPath: root + "/tags")
            #expect(try await snapshot(driver, "/tags", version2) == .missing)
        }
    }

    @Test func manyDirectoriesInOneCallInOrder() async throws {
        try await withDriver { driver, _ in
            try await driver.putContent("/a/x", Data())
            try await driver.putContent("/b/y/z", Data())
            let answers = try #require(try await driver.listDirectories([
                DirectoryQuery(path: "/b", known: nil), DirectoryQuery(path: "/zz", known: nil), DirectoryQuery(path: "/a", known: nil)]))
            #expect(answers.count == 3)
            #expect(entries(answers[0]) == [DirectoryEntry(name: "y", isDirectory: true)])
            #expect(answers[1] == .missing)
            #expect(entries(answers[2]) == [DirectoryEntry(name: "x", isDirectory: false)])
            await #expect(throws: StorageError.invalidPath("/a/../b")) {
                _ = try await driver.listDirectories([DirectoryQuery(path: "/a/../b", known: nil)])
            }
        }
    }

    @Test func wrappersForwardAndObjectStoresDecline() async throws {
        try await withDriver { driver, _ in
            try await driver.putContent("/a/x", Data())
            let instrumented = InstrumentedDriver(driver)
            #expect(entries(try await snapshot(instrumented, "/a")) == [DirectoryEntry(name: "x", isDirectory: false)])
            #expect(InMemoryDriver().capabilities.directories == nil)
            #expect(try await InstrumentedDriver(InMemoryDriver()).listDirectories([DirectoryQuery(path: "/a", known: nil)]) == nil)
        }
    }

    /// The one-pass ``StoragePath/isValid(_:)`` agrees with the rule written out plainly.
    @Test func pathValidationMatchesTheRule() {
        func reference(_ path: String) -> Bool {
            if path == "/" { return true }
            guard path.hasPrefix("/"), !path.hasSuffix("/") else { return false }
            for comp in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
                if comp.isEmpty || comp == "." || comp == ".." { return false }
                if !comp.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }) { return false }
            }
            return true
        }
        var cases = ["", "/", "//", "/a", "/a/", "a/b", "/a//b", "/.", "/..", "/...", "/a/./b", "/a/../b", "/a/.../b",
                     "/.a", "/a.", "/_x/-y/z.z", "/a b", "/ü", "/a/b~c", "/a\u{0}b", "/" + String(repeating: "x", count: 300)]
        let alphabet = Array("/._-aZ9~ ")
        for i in 0..<3000 {
            var g = SystemRandomNumberGenerator()
            let n = (i % 9) + 1
            cases.append(String((0..<n).map { _ in alphabet.randomElement(using: &g)! }))
        }
        for path in cases {
            #expect(StoragePath.isValid(path) == reference(path), "\(path)")
        }
    }
}
