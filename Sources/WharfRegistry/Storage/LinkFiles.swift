import Foundation
import WharfAPI
import WharfMetrics
import WharfStorage

/// Reading and writing distribution's `link` files (a digest string, no newline).
struct LinkFiles: Sendable {
    let driver: StorageDriver
    /// The driver's file stamps, resolved once; nil: the cache is not used.
    let fileStamps: (any FileStamping)?
    /// Links already read, revalidated by ``FileStamping/fileStamp(_:)``; nil: read every time.
    var cache: LinkCache? = nil
    /// Counts each cached lookup as `imageregistry_digest_cache_scoped_requests_total{type}`:
    /// tag and revision links are the repository-scoped digest lookups of the OpenShift
    /// registry's scoped blob-descriptor cache.
    var metrics: RegistryMetrics? = nil

    init(driver: StorageDriver, cache: LinkCache? = nil, metrics: RegistryMetrics? = nil) {
        self.driver = driver
        self.fileStamps = driver.capabilities.fileStamps
        self.cache = cache
        self.metrics = metrics
    }

    /// The digest a link holds, or nil when the link does not exist.
    /// A link with unparsable content counts as missing.
    ///
    /// With a cache and a driver that stamps files, a link whose stamp is unchanged since
    /// it was read is answered from memory; the stamp is taken before the read, so content
    /// that changes during the read is stored under the old stamp and read again next time.
    func read(_ path: String) async throws -> Digest? {
        guard let cache, let stamp = fileStamps?.fileStamp(path) else { return try await readStored(path) }
        if let digest = cache.digest(path, stamp: stamp) {
            metrics?.digestCacheLookup(hit: true, scoped: true)
            return digest
        }
        metrics?.digestCacheLookup(hit: false, scoped: true)
        guard let digest = try await readStored(path) else { return nil }
        cache.store(path, stamp: stamp, digest: digest)
        return digest
    }

    private func readStored(_ path: String) async throws -> Digest? {
        do {
            let data = try await driver.getContent(path)
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return Digest.parse(text)
        } catch StorageError.pathNotFound {
            return nil
        }
    }

    func write(_ path: String, _ digest: Digest) async throws {
        try await driver.putContent(path, Data(digest.string.utf8))
        cache?.remove(path)
    }

    /// Deletes `path`; true when it existed.
    @discardableResult
    func delete(_ path: String) async throws -> Bool {
        do {
            try await driver.delete(path)
            cache?.remove(path)
            return true
        } catch StorageError.pathNotFound {
            return false
        }
    }

    /// Deletes link directories with the files listed in them, in as few requests as the
    /// driver allows (``StorageDriver/deleteListed(_:)``), and forgets those links.
    func deleteListed(_ directories: [ListedDirectory]) async throws {
        try await driver.deleteListed(directories)
        for directory in directories {
            for file in directory.files { cache?.remove(file) }
        }
    }

    /// True when a file or directory exists at `path`.
    func exists(_ path: String) async throws -> Bool {
        do {
            _ = try await driver.stat(path)
            return true
        } catch StorageError.pathNotFound {
            return false
        }
    }
}
