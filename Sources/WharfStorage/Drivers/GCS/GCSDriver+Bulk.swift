import Foundation

/// Whole-tree work in few requests: a flat objects.list (no delimiter) for every file below
/// a directory, and the batch endpoint for many deletions. Garbage collection's mark and
/// sweep use both (see ``StorageDriver/walkFiles(_:_:)``).
extension GCSDriver: FileListing, BatchDeletion {
    public func walkFiles(_ path: String, _ visit: (FileInfo) async throws -> Void) async throws {
        try StoragePath.check(path)
        let prefix = keyspace.directoryPrefix(path)
        var token: String? = nil
        var found = false
        var files = FlatListingFiles()
        repeat {
            let page = try await mapping(path, "List") {
                try await listPage(prefix: prefix, delimiter: nil, token: token, maxResults: listPageSize)
            }
            for item in page.items where item.name != prefix {
                // A writer's pending parts (`<name>#…`) are no driver path: hidden, as `list` hides them.
                let child = keyspace.path(ofKey: item.name)
                guard StoragePath.isValid(child) else { continue }
                found = true
                guard files.admit(item.name) else { continue }
                try await visit(FileInfo(path: child, size: item.size, modTime: item.modTime, isDirectory: false))
            }
            token = page.next
        } while token != nil
        if !found && path != "/" { throw StorageError.pathNotFound(path) }
    }

    public func deleteFiles(_ paths: [String]) async throws {
        for p in paths { try StoragePath.checkFile(p) }
        guard let first = paths.first else { return }
        try await mapping(first, "Delete") { try await deleteObjects(paths.map(key)) }
    }
}
