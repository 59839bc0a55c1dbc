#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import WharfStorage
import WharfTestSupport

/// `openDirectoryHandles` and `directoryVersions`: a handle reads the version of the
/// directory object it was opened on, the same version a `stat` at its path reads while the
/// path still leads there; drivers without directories have none.
@Suite("Directory handles")
struct DirectoryHandleTests {
    func withDriver(_ body: (FilesystemDriver, String) async throws -> Void) async throws {
        try await Scratch.withFilesystemDriver(body)
    }

    func open(_ driver: any DirectoryVersioning, _ path: String) async throws -> DirectoryHandle? {
        let handles = try #require(try await driver.openDirectoryHandles([path]))
        return handles.first ?? nil
    }

    @Test func handleFollowsTheDirectoryObjectNotThePath() async throws {
        try await withDriver { driver, root in
            try await driver.putContent("/d/a/file", Data("x".utf8))
            let handle = try #require(try await open(driver, "/d"))
            let byPath = try await driver.directoryVersions([.path("/d"), .handle(handle)])
            #expect(byPath[0] != nil)
            #expect(byPath[0] == byPath[1])
            #expect(handle.version == byPath[0])

            try await driver.putContent("/d/b/file", Data("x".utf8)) // a new entry
            let added = try await driver.directoryVersions([.path("/d"), .handle(handle)])
            #expect(added[0] != byPath[0])
            #expect(added[0] == added[1])

            // Moved away and replaced: the path leads to a new directory, the handle to the old.
            try FileManager.default.moveItem(atPath: root + "/d", toPath: root + "/e")
            try FileManager.default.createDirectory(atPath: root + "/d", withIntermediateDirectories: false)
            let moved = try await driver.directoryVersions([.path("/d"), .handle(handle), .path("/e")])
            #expect(moved[0] != moved[1])
            #expect(moved[1] == moved[2])

            try FileManager.default.removeItem(atPath: root + "/e")
            let removed = try await driver.directoryVersions([.handle(handle), .path("/e")])
            #expect(removed == [nil, nil])
        }
    }

    /// Large batches may be read in parts at once; answers stay in the order asked.
    @Test func largeBatchesAnswerInOrder() async throws {
        try await withDriver { driver, root in
            let count = 2 * FilesystemDriver.versionsPerJob + 7
            let paths = (0..<count).map { "/many/d\($0)" }
            for p in paths { try FileManager.default.createDirectory(atPath: root + p, withIntermediateDirectories: true) }
            let handles = try #require(try await driver.openDirectoryHandles(paths)).map { try #require($0) }
            for i in stride(from: 0, to: count, by: 3) {
                try FileManager.default.createDirectory(atPath: root + paths[i] + "/x", withIntermediateDirectories: false)
            }
            var asked: [DirectoryReference] = []
            for i in 0..<count { asked.append(i % 2 == 0 ? .handle(handles[i]) : .path(paths[i])) }
            let versions = try await driver.directoryVersions(asked)
            let byPath = try await driver.directoryVersions(paths.map { .path($0) })
            #expect(versions.count == count)
            #expect(versions == byPath)
            for i in 0..<count {
                #expect((versions[i] != handles[i].version) == (i % 3 == 0), "directory \(i)")
            }
        }
    }

    @Test func onlyDirectoriesGetHandles() async throws {
        try await withDriver { driver, root in
            try await driver.putContent("/d/file", Data("x".utf8))
            symlink(root + "/d", root + "/link")
            let handles = try #require(try await driver.openDirectoryHandles(["/d", "/d/file", "/link", "/missing"]))
            #expect(handles.map { $0 != nil } == [true, false, false, false])
            #expect(try await driver.directoryVersions([.path("/d/file"), .path("/missing")]) == [nil, nil])
            await #expect(throws: StorageError.self) { try await driver.openDirectoryHandles(["/../etc"]) }
        }
    }

    @Test func handlesStayWithinTheBudget() async throws {
        let budget = DirectoryHandleBudget(limit: 1)
        #expect(budget.acquire())
        #expect(!budget.acquire())
        budget.release()
        #expect(budget.acquire())
        #expect(DirectoryHandleBudget.defaultLimit() >= 1)

        try await withDriver { driver, _ in
            try await driver.putContent("/a/x", Data("x".utf8))
            try await driver.putContent("/b/x", Data("x".utf8))
            let limit = driver.handleBudget.limit
            // No `#require` here: its copy of the array would keep the handles alive.
            var held: [DirectoryHandle?] = try await driver.openDirectoryHandles(Array(repeating: "/a", count: limit + 1)) ?? []
            #expect(held.filter { $0 != nil }.count == limit)
            #expect(held.last! == nil, "the budget is spent")
            #expect(try await open(driver, "/b") == nil)
            held[0] = nil
            #expect(try await open(driver, "/b") != nil, "a released handle returns its descriptor")
            _ = held
        }
    }

    @Test func instrumentedDriverForwardsHandles() async throws {
        try await withDriver { driver, _ in
            try await driver.putContent("/d/x", Data("x".utf8))
            let instrumented = InstrumentedDriver(driver)
            let handle = try #require(try await open(instrumented, "/d"))
            let versions = try await instrumented.directoryVersions([.path("/d"), .handle(handle)])
            #expect(versions[0] != nil && versions[0] == versions[1])
            await #expect(throws: StorageError.self) { try await instrumented.directoryVersions([.path("no-slash")]) }
        }
    }

    @Test func inMemoryDriverHasNoHandles() async throws {
        let driver = InMemoryDriver()
        try await driver.putContent("/d/x", Data("x".utf8))
        #expect(driver.capabilities.directories == nil)
        let instrumented = InstrumentedDriver(driver)
        #expect(instrumented.capabilities.directories == nil)
        #expect(try await instrumented.openDirectoryHandles(["/d"]) == nil)
        #expect(try await instrumented.directoryVersions([.path("/d")]) == [nil])
    }
}
