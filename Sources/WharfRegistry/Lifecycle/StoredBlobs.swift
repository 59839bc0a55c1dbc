import Foundation
import WharfAPI
import WharfStorage

/// The blobs stored under `blobs/`, as garbage collection, online collection and scrub
/// read them: every `blobs/<alg>/<xx>/<hex>/data` file, from one flat listing where the
/// driver has one (see ``StorageDriver/walkFiles(_:_:)``).
enum StoredBlobs {
    /// One stored blob as listed.
    struct Blob: Sendable, Equatable {
        /// Its `data` file's size and modification time.
        var size: Int64
        var modTime: Date
        /// Every file below the blob's directory (`data`, and anything else found there):
        /// what deleting the blob deletes.
        var files: [String]

        /// The blob's directory to delete, as listed.
        func directory(_ digest: Digest, paths: RegistryPaths) -> ListedDirectory {
            ListedDirectory(path: paths.blobDirectory(digest), files: files)
        }
    }

    /// Calls `visit` with each `data` file and the digest its path names (nil when the path
    /// names no digest in the layout). A store without `blobs/` has none.
    static func walk(driver: StorageDriver, paths: RegistryPaths, _ visit: (FileInfo, Digest?) async throws -> Void) async throws {
        try await files(driver: driver, paths: paths) { info, digest, isData in
            if info.path.hasSuffix("/data") { try await visit(info, isData ? digest : nil) }
        }
    }

    /// Every blob with a `data` file, with everything below its directory; `unrecognized`
    /// collects `data` files elsewhere (outside a blob directory they are left alone).
    static func list(driver: StorageDriver, paths: RegistryPaths, unrecognized: inout [String]) async throws -> [Digest: Blob] {
        var data: [Digest: FileInfo] = [:]
        var below: [Digest: [String]] = [:]
        try await files(driver: driver, paths: paths) { info, digest, isData in
            if info.path.hasSuffix("/data"), digest == nil || !isData {
                unrecognized.append("unrecognized blob path \(info.path)" + (digest == nil ? ": left alone" : ": goes with its blob's directory"))
            }
            guard let digest else { return }
            below[digest, default: []].append(info.path)
            if isData { data[digest] = info }
        }
        return data.reduce(into: [:]) { out, entry in
            out[entry.key] = Blob(size: entry.value.size, modTime: entry.value.modTime, files: below[entry.key] ?? [entry.value.path])
        }
    }

    /// Every file below `blobs/` with the blob whose directory holds it (nil: none in the
    /// layout) and whether it is that blob's `data`.
    private static func files(driver: StorageDriver, paths: RegistryPaths,
                              _ visit: (FileInfo, Digest?, Bool) async throws -> Void) async throws {
        let root = paths.blobsRoot
        do {
            try await driver.walkFiles(root) { info in
                // `<alg>/<xx>/<hex>/...` below `blobs/`.
                let parts = info.path.dropFirst(root.count + 1).split(separator: "/")
                var digest: Digest?
                if parts.count >= 4, let d = Digest.parse("\(parts[0]):\(parts[2])"), paths.blobData(d) == "\(root)/\(parts[0])/\(parts[1])/\(parts[2])/data" {
                    digest = d
                }
                try await visit(info, digest, parts.count == 4 && parts[3] == "data")
            }
        } catch StorageError.pathNotFound {}
    }
}
