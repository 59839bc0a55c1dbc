import Foundation

/// Whole-tree work in few requests: a flat objects.list (no delimiter) for every file below
/// a directory (a writer's pending parts, `<name>#…`, are no driver path and stay hidden),
/// and the batch endpoint for many deletions. Garbage collection's mark and sweep use both
/// (see ``StorageDriver/walkFiles(_:_:)``).
extension GCSDriver: FileListing, BatchDeletion {
    public func walkFiles(_ path: String, _ visit: (FileInfo) async throws -> Void) async throws {
        try StoragePath.check(path)
        let prefix = keyspace.directoryPrefix(path)
        try await FlatListingFiles.walk(path, prefix: prefix, path: { self.keyspace.path(ofKey: $0) }, page: { (token: String?) in
            let page = try await mapping(path, "List") {
                try await listPage(prefix: prefix, delimiter: nil, token: token, maxResults: listPageSize)
            }
            return (page.items.map { ($0.name, $0.size, $0.modTime) }, page.next)
        }, visit)
    }

    public func deleteFiles(_ paths: [String]) async throws {
        for p in paths { try StoragePath.checkFile(p) }
        guard let first = paths.first else { return }
        try await mapping(first, "Delete") { try await deleteObjects(paths.map(key)) }
    }
}
