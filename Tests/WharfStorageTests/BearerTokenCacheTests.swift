import Foundation
import Testing
@testable import WharfStorage

/// The token cache the cloud drivers share: concurrent callers wait for one refresh, a
/// token is kept until the refresh margin, and a failed fetch is not cached.
@Suite struct BearerTokenCacheTests {
    /// Counts fetches; each returns `tok-<n>` valid for `lifetime` seconds.
    final class Issuer: @unchecked Sendable {
        let lock = NSLock()
        var count = 0
        var fail = false
        let lifetime: TimeInterval
        init(lifetime: TimeInterval) { self.lifetime = lifetime }
        func fetch() async throws -> BearerTokenCache.Token {
            try await Task.sleep(nanoseconds: 50_000_000)
            return try lock.withLock {
                if fail { throw StorageError.unavailable(driver: "test", message: "refused") }
                count += 1
                return ("tok-\(count)", Date().addingTimeInterval(lifetime))
            }
        }
    }

    @Test func concurrentCallersShareOneRefresh() async throws {
        let issuer = Issuer(lifetime: 3600)
        let cache = BearerTokenCache { try await issuer.fetch() }
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await cache.token() } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(tokens) == ["tok-1"])
        #expect(try await cache.token() == "tok-1")
        #expect(await cache.refreshCount == 1)
    }

    @Test func aTokenWithinTheMarginIsReplacedAndAFailureIsNotCached() async throws {
        let issuer = Issuer(lifetime: 30)   // inside the 60 s margin: every call refreshes
        let cache = BearerTokenCache { try await issuer.fetch() }
        #expect(try await cache.token() == "tok-1")
        #expect(try await cache.token() == "tok-2")
        issuer.lock.withLock { issuer.fail = true }
        await #expect(throws: StorageError.self) { try await cache.token() }
        issuer.lock.withLock { issuer.fail = false }
        #expect(try await cache.token() == "tok-3")
    }
}
