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
        // Keys of the files visited: keys below one are the segments of a segmented file,
        // which is one file (as ``entries(_:)`` shows it), not a directory.
        var files: Set<Substring> = []
        repeat {
            let page = try await mapping(path, "ListObjectsV2") {
                try await listPage(prefix: prefix, delimiter: nil, token: token, maxKeys: listPageSize)
            }
            for k in page.keys where k.key != prefix {
                found = true
                if Self.isBelow(k.key, anyOf: files) { continue }
                let child = self.path(ofKey: k.key)
                guard StoragePath.isValid(child) else { continue }
                files.insert(Substring(k.key))
                try await visit(FileInfo(path: child, size: k.size, modTime: k.modTime, isDirectory: false))
            }
            token = page.next
        } while token != nil
        if !found && path != "/" { throw StorageError.pathNotFound(path) }
    }

    /// True when one of `key`'s parent prefixes (`a`, `a/b` of `a/b/c`) is in `files`.
    static func isBelow(_ key: String, anyOf files: Set<Substring>) -> Bool {
        guard !files.isEmpty else { return false }
        var index = key.startIndex
        while let slash = key[index...].firstIndex(of: "/") {
            if files.contains(key[..<slash]) { return true }
            index = key.index(after: slash)
        }
        return false
    }

    public func deleteFiles(_ paths: [String]) async throws {
        for p in paths { try StoragePath.checkFile(p) }
        guard let first = paths.first else { return }
        try await mapping(first, "DeleteObjects") { try await deleteObjects(paths.map(key)) }
    }
}
