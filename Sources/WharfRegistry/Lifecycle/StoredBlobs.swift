import Foundation
import WharfAPI
import WharfStorage

/// The blobs stored under `blobs/`, as garbage collection, online collection and scrub
/// walk them: every `blobs/<alg>/<xx>/<hex>/data` file.
enum StoredBlobs {
    /// Calls `visit` with each `data` file and the digest its path names (nil when the path
    /// names no digest in the layout). A store without `blobs/` has none.
    static func walk(driver: StorageDriver, paths: RegistryPaths, _ visit: (FileInfo, Digest?) async throws -> Void) async throws {
        do {
            try await driver.walk(paths.blobsRoot) { info in
                guard !info.isDirectory, info.path.hasSuffix("/data") else { return .continue }
                let parts = info.path.split(separator: "/")
                var digest: Digest?
                if parts.count >= 4, let d = Digest.parse("\(parts[parts.count - 4]):\(parts[parts.count - 2])"),
                   paths.blobData(d) == info.path {
                    digest = d
                }
                try await visit(info, digest)
                return .continue
            }
        } catch StorageError.pathNotFound {}
    }
}
