import Foundation
import Testing
@testable import WharfStorage

/// The shared driver suite, part 3: the `walk` fallback built on `list` + `stat`
/// (``StorageDriver/walkByListing(_:_:)``) gives every driver the same answers as its
/// own `walk`, so an object store without a native walk can use it as is.
@Suite("Shared walk fallback")
struct DriverWalkByListingTests {
    @Test(arguments: DriverUnderTest.all)
    func walkByListingMatchesTheNativeWalk(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await DriverTreeConformanceTests.makeWalkTree(d)
            for root in ["/w", "/", "/w/c"] {
                var native: [FileInfo] = []
                try await d.walk(root) { native.append($0); return .continue }
                var listed: [FileInfo] = []
                try await d.walkByListing(root) { listed.append($0); return .continue }
                #expect(listed.map(\.path) == native.map(\.path))
                #expect(listed.map(\.isDirectory) == native.map(\.isDirectory))
                #expect(listed.map(\.size) == native.map(\.size))
            }
            var seen: [String] = []
            try await d.walkByListing("/w") { seen.append($0.path); return .continue }
            #expect(seen == ["/w/a", "/w/a/1", "/w/a/2", "/w/b", "/w/c", "/w/c/d", "/w/c/d/e", "/w/c-x"])
        }
    }

    @Test(arguments: DriverUnderTest.all)
    func walkByListingHonoursSkipStopAndErrors(_ kind: DriverUnderTest) async throws {
        try await kind.with { d in
            try await DriverTreeConformanceTests.makeWalkTree(d)
            var skipped: [String] = []
            try await d.walkByListing("/w") { info in
                skipped.append(info.path)
                return info.path == "/w/a" || info.path == "/w/c" ? .skipDirectory : .continue
            }
            #expect(skipped == ["/w/a", "/w/b", "/w/c", "/w/c-x"])
            var stopped: [String] = []
            try await d.walkByListing("/w") { info in
                stopped.append(info.path)
                return info.path == "/w/a/2" ? .stop : .continue
            }
            #expect(stopped == ["/w/a", "/w/a/1", "/w/a/2"])
            await #expect(throws: StorageError.pathNotFound("/nope")) { try await d.walkByListing("/nope") { _ in .continue } }
            await #expect(throws: StorageError.pathNotFound("/w/b")) { try await d.walkByListing("/w/b") { _ in .continue } }
        }
    }
}
