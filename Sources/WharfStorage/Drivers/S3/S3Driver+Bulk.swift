import Foundation

/// Whole-tree work in few requests: a flat ListObjectsV2 (no delimiter, 1000 keys a page)
/// for every file below a directory, and DeleteObjects (1000 keys a request) for many files.
/// Garbage collection's mark and sweep use both (see ``StorageDriver/walkFiles(_:_:)``).
extension S3Driver: FileListing, BatchDeletion {
    public func walkFiles(_ path: String, _ visit: (FileInfo) async throws -> Void) async throws {
        try StoragePath.check(path)
        let prefix = directoryPrefix(path)
        var token: String? = nil
        var found = false
        var files = FlatListingFiles()
        repeat {
            let page = try await mapping(path, "ListObjectsV2") {
                try await listPage(prefix: prefix, delimiter: nil, token: token, maxKeys: listPageSize)
            }
            for k in page.keys where k.key != prefix {
                found = true
                let child = self.path(ofKey: k.key)
                guard files.admit(k.key), StoragePath.isValid(child) else { continue }
                try await visit(FileInfo(path: child, size: k.size, modTime: k.modTime, isDirectory: false))
            }
            token = page.next
        } while token != nil
        if !found && path != "/" { throw StorageError.pathNotFound(path) }
    }

    public func deleteFiles(_ paths: [String]) async throws {
        for p in paths { try StoragePath.checkFile(p) }
        guard let first = paths.first else { return }
        try await mapping(first, "DeleteObjects") { try await deleteObjects(paths.map(key)) }
    }
}
