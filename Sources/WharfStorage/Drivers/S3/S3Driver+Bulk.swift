import Foundation

/// Whole-tree work in few requests: a flat ListObjectsV2 (no delimiter, 1000 keys a page)
/// for every file below a directory, and DeleteObjects (1000 keys a request) for many files.
/// Garbage collection's mark and sweep use both (see ``StorageDriver/walkFiles(_:_:)``).
extension S3Driver: FileListing, BatchDeletion {
    public func walkFiles(_ path: String, _ visit: (FileInfo) async throws -> Void) async throws {
        try StoragePath.check(path)
        let prefix = directoryPrefix(path)
        try await FlatListingFiles.walk(path, prefix: prefix, path: { self.path(ofKey: $0) }, page: { (token: String?) in
            let page = try await mapping(path, "ListObjectsV2") {
                try await listPage(prefix: prefix, delimiter: nil, token: token, maxKeys: listPageSize)
            }
            return (page.keys, page.next)
        }, visit)
    }

    public func deleteFiles(_ paths: [String]) async throws {
        for p in paths { try StoragePath.checkFile(p) }
        guard let first = paths.first else { return }
        try await mapping(first, "DeleteObjects") { try await deleteObjects(paths.map(key)) }
    }
}
