import Foundation

/// Every file below a directory from a flat List Blobs (no delimiter, `maxresults` a page):
/// garbage collection's mark and sweep list through it (see ``StorageDriver/walkFiles(_:_:)``).
extension AzureDriver: FileListing {
    public func walkFiles(_ path: String, _ visit: (FileInfo) async throws -> Void) async throws {
        try StoragePath.check(path)
        let prefix = directoryPrefix(path)
        try await FlatListingFiles.walk(path, prefix: prefix, path: { self.path(ofBlob: $0) }, page: { (marker: String?) in
            let page = try await mapping(path, "ListBlobs") {
                try await listPage(prefix: prefix, delimiter: nil, marker: marker, maxResults: listPageSize)
            }
            return (page.blobs.map { ($0.name, $0.size, $0.modTime) }, page.next)
        }, visit)
    }
}
