import Foundation
import WharfAPI
import WharfHTTPClient
import WharfStorage

extension RegistryPaths {
    /// `_proxy/tags/`: what the pull-through cache records per cached tag (Wharf extension,
    /// ignored by distribution, which neither reads nor lists `_`-prefixed directories there).
    func proxyTagsRoot(_ name: RepositoryName) -> String { repository(name) + "/_proxy/tags" }
    /// A cached tag's record directory (deleted with the tag when it expires).
    func proxyTagDirectory(_ name: RepositoryName, _ tag: Tag) -> String { "\(proxyTagsRoot(name))/\(tag.value)" }
    /// When the tag was last confirmed upstream (RFC 3339); it expires `ttl` after that.
    func proxyTagCheckedAt(_ name: RepositoryName, _ tag: Tag) -> String { proxyTagDirectory(name, tag) + "/checkedat" }
}

/// When each cached tag was last confirmed upstream, kept in storage: one small object per
/// tag, `repositories/<name>/_proxy/tags/<tag>/checkedat`, so the schedule survives restarts
/// and every replica on the same storage sees the same one.
struct CachedTagChecks: Sendable {
    let driver: StorageDriver
    let paths: RegistryPaths

    /// The time recorded for `tag`, nil when none is (or it is unreadable).
    func checkedAt(_ name: RepositoryName, _ tag: Tag) async -> Date? {
        guard let data = try? await driver.getContent(paths.proxyTagCheckedAt(name, tag)) else { return nil }
        return HTTPDate.parseRFC3339(String(decoding: data, as: UTF8.self))
    }

    /// Records that `tag` was confirmed upstream at `date`.
    func record(_ name: RepositoryName, _ tag: Tag, at date: Date) async throws {
        try await driver.putContent(paths.proxyTagCheckedAt(name, tag), Data(Self.format(date).utf8))
    }

    /// Forgets `tag`'s record (nothing to do when there is none).
    func remove(_ name: RepositoryName, _ tag: Tag) async throws {
        do { try await driver.delete(paths.proxyTagDirectory(name, tag)) } catch StorageError.pathNotFound {}
    }

    /// RFC 3339 with milliseconds: a short ttl (seconds, in tests) needs better than whole seconds.
    static func format(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// `(repository, tag)` of a `.../<name>/_proxy/tags/<tag>/checkedat` path under `repositoriesRoot`.
    static func parse(_ path: String, repositoriesRoot: String) -> (RepositoryName, Tag)? {
        guard path.hasPrefix(repositoriesRoot + "/"), path.hasSuffix("/checkedat"),
              let marker = path.range(of: "/_proxy/tags/", options: .backwards) else { return nil }
        let repository = path[path.index(path.startIndex, offsetBy: repositoriesRoot.count + 1)..<marker.lowerBound]
        let tag = path[marker.upperBound...].dropLast("/checkedat".count)
        guard !tag.contains("/"), let name = try? RepositoryName(String(repository)), let t = Tag(String(tag)) else { return nil }
        return (name, t)
    }
}
