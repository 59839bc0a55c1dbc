import Foundation

/// Every file below a directory from a flat List Blobs (no delimiter, `maxresults` a page):
/// garbage collection's mark and sweep list through it (see ``StorageDriver/walkFiles(_:_:)``).
extension AzureDriver: FileListing {
    public func walkFiles(_ path: String, _ visit: (FileInfo) async throws -> Void) async throws {
        try StoragePath.check(path)
        let prefix = directoryPrefix(path)
        var marker: String? = nil
        var found = false
        var files = FlatListingFiles()
        repeat {
            let page = try await mapping(path, "ListBlobs") {
                try await listPage(prefix: prefix, delimiter: nil, marker: marker, maxResults: listPageSize)
            }
            for b in page.blobs where b.name != prefix {
                found = true
                let child = self.path(ofBlob: b.name)
                guard files.admit(b.name), StoragePath.isValid(child) else { continue }
                try await visit(FileInfo(path: child, size: b.size, modTime: b.modTime, isDirectory: false))
            }
            marker = page.next
        } while marker != nil
        if !found && path != "/" { throw StorageError.pathNotFound(path) }
    }
}
