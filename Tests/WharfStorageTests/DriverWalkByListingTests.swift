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
            let policies: [@Sendable (String) -> WalkAction] = [
                { $0 == "/w/a" || $0 == "/w/c" ? .skipDirectory : .continue },
                { $0 == "/w/a/2" ? .stop : .continue },
                { $0 == "/w/c/d/e" ? .stop : .continue },
            ]
            for policy in policies {
                var native: [String] = []
                try await d.walk("/w") { native.append($0.path); return policy($0.path) }
                var listed: [String] = []
                try await d.walkByListing("/w") { listed.append($0.path); return policy($0.path) }
                #expect(listed == native && !listed.isEmpty)
            }
            for missing in ["/nope", "/w/b"] {
                await #expect(throws: StorageError.pathNotFound(missing)) { try await d.walkByListing(missing) { _ in .continue } }
            }
        }
    }
}
