import Foundation
import WharfAPI
import WharfStorage

/// A tag's revisions: every digest it ever pointed at (`_manifests/tags/<tag>/index/`),
/// newest first by the modification time of each history link (a push under the tag
/// rewrites its link, so re-pushing an old digest makes it the newest again).
struct TagHistory: Sendable {
    /// One revision of the tag.
    struct Entry: Sendable, Equatable {
        var digest: Digest
        /// When the tag last pointed at it (its history link's modification time).
        var pushed: Date
    }

    let tag: Tag
    /// Newest first; entries with equal times in digest order, so the order is stable.
    let entries: [Entry]
    /// What the tag points at now (kept whatever the history says); nil when unreadable.
    let current: Digest?

    /// Reads `tag`'s history in repository `name`.
    static func read(_ name: RepositoryName, _ tag: Tag, driver: StorageDriver, paths: RegistryPaths) async throws -> TagHistory {
        let links = LinkFiles(driver: driver)
        let root = paths.tagIndexDirectory(name, tag)
        var found: [(String, Date)] = []
        do {
            try await driver.walk(root) { info in
                if !info.isDirectory, info.path.hasSuffix("/link") { found.append((info.path, info.modTime)) }
                return .continue
            }
        } catch StorageError.pathNotFound {}
        var entries: [Entry] = []
        for (path, modTime) in found {
            guard let digest = try await links.read(path), paths.tagIndexLink(name, tag, digest) == path else { continue }
            entries.append(Entry(digest: digest, pushed: modTime))
        }
        entries.sort { $0.pushed != $1.pushed ? $0.pushed > $1.pushed : $0.digest < $1.digest }
        return TagHistory(tag: tag, entries: entries, current: try await links.read(paths.tagCurrentLink(name, tag)))
    }
}
