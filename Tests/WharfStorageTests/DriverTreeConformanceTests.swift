import Foundation
import Testing
@testable import WharfStorage

/// The shared driver suite, part 2: the tree (stat, list, move, delete, walk).
/// Every driver in ``DriverUnderTest/all`` must pass it.
@Suite("Driver conformance: tree")
struct DriverTreeConformanceTests {
    @Test(arguments: DriverUnderTest.all)
    func statOfFileDirectoryAndMissingPath(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            let before = Date().addingTimeInterval(-5)
            try await d.putContent("/dir/sub/file", Data("12345".utf8))
            let file = try await d.stat("/dir/sub/file")
            #expect(file.path == "/dir/sub/file")
            #expect(file.size == 5)
            #expect(!file.isDirectory)
            #expect(file.modTime >= before && file.modTime <= Date().addingTimeInterval(5))

            let dir = try await d.stat("/dir/sub")
            #expect(dir.path == "/dir/sub")
            #expect(dir.isDirectory)
            #expect(dir.size == 0)
            #expect(try await d.stat("/").isDirectory)

            await #expect(throws: StorageError.pathNotFound("/dir/nope")) { try await d.stat("/dir/nope") }
            await #expect(throws: StorageError.pathNotFound("/di")) { try await d.stat("/di") } // a prefix is not a directory
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func listReturnsDirectChildrenSorted(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            for p in ["/l/b/deep/x", "/l/a", "/l/c-d", "/l/B", "/l/a.b", "/l2/other"] {
                try await d.putContent(p, Data(p.utf8))
            }
            #expect(try await d.list("/l") == ["/l/B", "/l/a", "/l/a.b", "/l/b", "/l/c-d"])
            #expect(try await d.list("/l/b") == ["/l/b/deep"])
            #expect(try await d.list("/") == ["/l", "/l2"])
            await #expect(throws: StorageError.pathNotFound("/missing")) { try await d.list("/missing") }
            await #expect(throws: StorageError.pathNotFound("/l/a")) { try await d.list("/l/a") } // a file has no children
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func listOfEmptyRootIsEmpty(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            let children = try await d.list("/")
            #expect(children == [])
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func moveReplacesDestinationAndCreatesParents(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await d.putContent("/uploads/u1/data", Data("new blob".utf8))
            try await d.putContent("/blobs/ab/data", Data("old".utf8))
            try await d.move(from: "/uploads/u1/data", to: "/blobs/ab/data")
            #expect(try await d.getContent("/blobs/ab/data") == Data("new blob".utf8))
            await #expect(throws: StorageError.pathNotFound("/uploads/u1/data")) { try await d.getContent("/uploads/u1/data") }

            try await d.move(from: "/blobs/ab/data", to: "/x/y/z/data")
            #expect(try await d.getContent("/x/y/z/data") == Data("new blob".utf8))
            #expect(try await d.stat("/x/y").isDirectory)

            await #expect(throws: StorageError.pathNotFound("/nope")) { try await d.move(from: "/nope", to: "/elsewhere/f") }
            await #expect(throws: StorageError.pathNotFound("/elsewhere")) { try await d.stat("/elsewhere") }
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func deleteFileAndTree(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            for p in ["/t/a", "/t/b/c", "/t/b/d/e", "/t2/keep", "/t-3/keep"] {
                try await d.putContent(p, Data(p.utf8))
            }
            try await d.delete("/t/a")
            await #expect(throws: StorageError.pathNotFound("/t/a")) { try await d.getContent("/t/a") }
            #expect(try await d.list("/t") == ["/t/b"])

            try await d.delete("/t")
            await #expect(throws: StorageError.pathNotFound("/t")) { try await d.stat("/t") }
            await #expect(throws: StorageError.pathNotFound("/t/b/d/e")) { try await d.getContent("/t/b/d/e") }
            #expect(try await d.getContent("/t2/keep") == Data("/t2/keep".utf8)) // siblings sharing a prefix survive
            #expect(try await d.getContent("/t-3/keep") == Data("/t-3/keep".utf8))
            #expect(try await d.list("/") == ["/t-3", "/t2"])

            await #expect(throws: StorageError.pathNotFound("/t")) { try await d.delete("/t") }
            await #expect(throws: StorageError.pathNotFound("/never")) { try await d.delete("/never") }
        }
    }

    /// The tree every walk test uses; `c-x` sorts after `c` but, as a path, before `c/d`.
    static let walkTree = ["/w/a/1", "/w/a/2", "/w/b", "/w/c/d/e", "/w/c-x", "/other/f"]

    static func makeWalkTree(_ d: StorageDriver) async throws {
        for p in walkTree { try await d.putContent(p, Data(p.utf8)) }
    }

    @Test(arguments: DriverUnderTest.all)
    func walkIsLexicalAndDepthFirst(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await Self.makeWalkTree(d)
            var seen: [FileInfo] = []
            try await d.walk("/w") { seen.append($0); return .continue }
            #expect(seen.map(\.path) == ["/w/a", "/w/a/1", "/w/a/2", "/w/b", "/w/c", "/w/c/d", "/w/c/d/e", "/w/c-x"])
            #expect(seen.map(\.isDirectory) == [true, false, false, false, true, true, false, false])
            #expect(seen.first { $0.path == "/w/c/d/e" }?.size == Int64("/w/c/d/e".utf8.count))

            var all: [String] = []
            try await d.walk("/") { all.append($0.path); return .continue }
            #expect(all.count == 11 && all.first == "/other" && all.last == "/w/c-x")
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func walkHonoursSkipDirectoryAndStop(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await Self.makeWalkTree(d)
            var skipped: [String] = []
            try await d.walk("/w") { info in
                skipped.append(info.path)
                return info.path == "/w/a" || info.path == "/w/c" ? .skipDirectory : .continue
            }
            #expect(skipped == ["/w/a", "/w/b", "/w/c", "/w/c-x"])

            var stopped: [String] = []
            try await d.walk("/w") { info in
                stopped.append(info.path)
                return info.path == "/w/a/2" ? .stop : .continue
            }
            #expect(stopped == ["/w/a", "/w/a/1", "/w/a/2"])

            var deepStop: [String] = []
            try await d.walk("/w") { info in
                deepStop.append(info.path)
                return info.path == "/w/c/d/e" ? .stop : .continue
            }
            #expect(deepStop.last == "/w/c/d/e" && !deepStop.contains("/w/c-x"))
        }
    }

    struct VisitorFailure: Error, Equatable {}

    @Test(arguments: DriverUnderTest.all)
    func walkErrors(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await Self.makeWalkTree(d)
            await #expect(throws: StorageError.pathNotFound("/nope")) { try await d.walk("/nope") { _ in .continue } }
            await #expect(throws: StorageError.pathNotFound("/w/b")) { try await d.walk("/w/b") { _ in .continue } }
            await #expect(throws: VisitorFailure()) {
                try await d.walk("/w") { info in
                    if info.path == "/w/b" { throw VisitorFailure() }
                    return .continue
                }
            }
            var none = 0
            try await d.putContent("/solo/f", Data())
            try await d.delete("/solo/f")
            if (try? await d.stat("/solo")) != nil { // drivers that keep empty directories
                try await d.walk("/solo") { _ in none += 1; return .continue }
            }
            #expect(none == 0)
        }
    }
}
