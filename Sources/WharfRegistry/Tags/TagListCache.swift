import Foundation
import WharfStorage

/// The sorted tag names of recently listed repositories, each with the version of the
/// `_manifests/tags` directory it was read at.
///
/// Never answers on its own: every use asks storage whether the directory still has that
/// version (``StorageDriver/listDirectories(_:)``, a `stat` on the filesystem), so a tag
/// pushed or deleted through another replica shows at once. Writes through this replica
/// also drop the repository's entry. Bounded by repositories and by names (LRU).
final class TagListCache: @unchecked Sendable {
    struct Entry {
        var version: DirectoryVersion
        var tags: [String]
        var lastUse: UInt64
    }

    private var entries: [String: Entry] = [:]
    private var names = 0
    private var clock: UInt64 = 0
    private let maxRepositories: Int
    private let maxNames: Int
    private let lock = NSLock()

    init(maxRepositories: Int = 1024, maxNames: Int = 200_000) {
        self.maxRepositories = maxRepositories
        self.maxNames = maxNames
    }

    /// The cached listing of `repository`, to validate before use.
    func get(_ repository: String) -> (version: DirectoryVersion, tags: [String])? {
        lock.lock()
        defer { lock.unlock() }
        guard var e = entries[repository] else { return nil }
        clock &+= 1
        e.lastUse = clock
        entries[repository] = e
        return (e.version, e.tags)
    }

    func put(_ repository: String, version: DirectoryVersion, tags: [String]) {
        guard maxRepositories > 0, tags.count <= maxNames / 4 else { return }
        lock.lock()
        defer { lock.unlock() }
        clock &+= 1
        if let old = entries[repository] { names -= old.tags.count }
        entries[repository] = Entry(version: version, tags: tags, lastUse: clock)
        names += tags.count
        while entries.count > maxRepositories || names > maxNames,
              let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            names -= oldest.value.tags.count
            entries.removeValue(forKey: oldest.key)
        }
    }

    /// Forgets `repository` (a tag of it was written or deleted through this replica).
    func remove(_ repository: String) {
        lock.lock()
        defer { lock.unlock() }
        if let old = entries.removeValue(forKey: repository) { names -= old.tags.count }
    }
}
