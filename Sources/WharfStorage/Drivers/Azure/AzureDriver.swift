import Foundation
import WharfHTTPClient

/// Blobs in an Azure Storage container (Azure, Azure Government, Azurite-style emulators),
/// laid out as distribution's azure driver lays them out: blob name = `rootdirectory` +
/// driver path without the leading slash, so an existing distribution container is served as is.
///
/// - Directories are implied by name prefixes (`list` and `walk` are List Blobs with
///   delimiter `/`, following `NextMarker`).
/// - Writers stage blocks and commit block lists (``AzureWriter``); any replica resumes.
/// - Reads stream one Get Blob with `x-ms-range` (``blobReader(_:offset:size:)``, on ``ResumingObjectReader``).
/// - `move` is Copy Blob (polling `x-ms-copy-status` while pending), then Delete Blob.
/// - `redirectURL` is a read-only service SAS valid for `redirectexpiry` seconds.
/// - Every request is SharedKey-signed (``AzureSharedKeySigner``) or carries a bearer token
///   (``AzureCredentials``, ``AzureTokenSource``); every failure is a ``StorageError``.
public final class AzureDriver: StorageDriver, StorageErrorMapping, @unchecked Sendable {
    /// `azure`.
    public let name = "azure"
    /// The parameters the driver was built from.
    public let configuration: AzureConfiguration
    let client: AzureClient
    /// The most bytes a reader hands out per chunk.
    let readChunkSize = 1 << 20
    /// Blobs per List Blobs page (the service's maximum: 5000).
    var listPageSize = 5000
    /// Blocks a blob may have (the service's limit: 50,000); writers refuse more.
    var maxBlocks = 50_000

    /// - Throws: ``StorageError/unsupported(_:)`` for a bad key; ``StorageError/unavailable(driver:message:)``
    ///   when the `trustedca` bundle cannot be loaded.
    public init(configuration: AzureConfiguration, timeout: TimeInterval = 60, maxAttempts: Int = 4) throws {
        self.configuration = configuration
        var http = HTTPClientConfiguration()
        http.connectTimeout = timeout
        http.readTimeout = timeout
        http.trust = HTTPClientTrust(caBundlePath: configuration.trustedCA)
        http.proxy = .environment()
        http.retry = HTTPRetryPolicy(maxAttempts: maxAttempts, retryStatuses: [429, 500, 502, 503, 504])
        let httpClient: HTTPClient
        do { httpClient = try HTTPClient(configuration: http) } catch {
            throw StorageError.unavailable(driver: "azure", message: "\(error)")
        }
        client = try AzureClient(configuration: configuration, http: httpClient)
    }

    // MARK: names

    /// The blob name of a driver path (`""` for the root without a root directory).
    func blobName(_ path: String) -> String { ObjectKeys(root: configuration.rootDirectory).key(path) }

    /// The name prefix of everything below a directory path.
    func directoryPrefix(_ path: String) -> String { ObjectKeys(root: configuration.rootDirectory).directoryPrefix(path) }

    /// The driver path of a blob name below the root.
    func path(ofBlob name: String) -> String { ObjectKeys(root: configuration.rootDirectory).path(ofKey: name) }


    /// Maps a service failure: BlobNotFound to `pathNotFound`; transport failures, 5xx,
    /// throttling, bad credentials and a missing container to `unavailable` (503).
    func storageError(_ error: Error, path: String, operation: String) -> Error {
        switch error {
        case let e as StorageError: return e
        case let e as AzureError:
            if e.status == 404, e.code == "BlobNotFound" || e.code == "HTTP404" { return StorageError.pathNotFound(path) }
            let text = "\(operation) \(path): \(e.code) (HTTP \(e.status)): \(e.message)"
            if e.status == 0 || e.status >= 500 || e.status == 401 || e.status == 403 || e.status == 429 || e.code == "ContainerNotFound" {
                return StorageError.unavailable(driver: "azure", message: text)
            }
            return StorageError.unknown(driver: "azure", message: text)
        case is CancellationError: return error
        default: return StorageError.unknown(driver: "azure", message: "\(operation) \(path): \(error)")
        }
    }

    // MARK: StorageDriver

    public func getContent(_ path: String) async throws -> Data {
        try StoragePath.checkFile(path)
        return try await mapping(path, "GetBlob") { try await client.send("GET", blob: blobName(path)).body }
    }

    public func putContent(_ path: String, _ content: Data) async throws {
        try StoragePath.checkFile(path)
        try await mapping(path, "PutBlob") {
            _ = try await client.send("PUT", blob: blobName(path),
                                      headers: ["x-ms-blob-type": "BlockBlob", "Content-Type": "application/octet-stream"],
                                      body: content)
        }
    }

    /// Get Blob Properties: size and modification time, or nil when there is no blob.
    func properties(_ path: String) async throws -> (size: Int64, modTime: Date)? {
        let r = try await client.send("HEAD", blob: blobName(path), accept: [404])
        if r.status == 404 { return nil }
        return (Int64(r.headers["content-length"] ?? "") ?? 0, S3Driver.httpDate(r.headers["last-modified"]) ?? Date())
    }

    public func reader(_ path: String, offset: Int64) async throws -> StorageReader {
        try StoragePath.checkFile(path)
        guard let p = try await mapping(path, "GetBlobProperties", { try await properties(path) }) else {
            throw StorageError.pathNotFound(path)
        }
        guard offset >= 0, offset <= p.size else { throw StorageError.invalidOffset(path: path, offset: offset) }
        return blobReader(path, offset: offset, size: p.size)
    }

    public func writer(_ path: String, append: Bool) async throws -> StorageWriter {
        try StoragePath.checkFile(path)
        return try await mapping(path, "Writer") {
            append ? try await AzureWriter.resume(driver: self, path: path) : AzureWriter(driver: self, path: path)
        }
    }

    public func stat(_ path: String) async throws -> FileInfo {
        try StoragePath.check(path)
        return try await mapping(path, "Stat") {
            if path != "/", let p = try await properties(path) {
                return FileInfo(path: path, size: p.size, modTime: p.modTime, isDirectory: false)
            }
            let page = try await listPage(prefix: directoryPrefix(path), delimiter: "/", marker: nil, maxResults: 1)
            guard path == "/" || !page.blobs.isEmpty || !page.prefixes.isEmpty else { throw StorageError.pathNotFound(path) }
            return FileInfo(path: path, size: 0, modTime: Date(), isDirectory: true)
        }
    }

    public func list(_ path: String) async throws -> [String] {
        try StoragePath.check(path)
        return try await entries(path).map(\.path)
    }

    /// The direct children of a directory with what the listing says about them (sorted by path).
    func entries(_ path: String) async throws -> [FileInfo] {
        try await mapping(path, "ListBlobs") {
            var out: [String: FileInfo] = [:]
            var marker: String? = nil
            repeat {
                let page = try await listPage(prefix: directoryPrefix(path), delimiter: "/", marker: marker, maxResults: listPageSize)
                for p in page.prefixes {
                    let child = self.path(ofBlob: String(p.dropLast()))
                    out[child] = FileInfo(path: child, size: 0, modTime: Date(), isDirectory: true)
                }
                for b in page.blobs {
                    let child = self.path(ofBlob: b.name)
                    out[child] = FileInfo(path: child, size: b.size, modTime: b.modTime, isDirectory: false)
                }
                marker = page.next
            } while marker != nil
            let infos = out.values.filter { StoragePath.isValid($0.path) }
            if infos.isEmpty && path != "/" { throw StorageError.pathNotFound(path) }
            return infos.sorted { $0.path < $1.path }
        }
    }

    /// One List Blobs page: blobs (name, size), prefixes, and the next marker.
    func listPage(prefix: String, delimiter: String?, marker: String?, maxResults: Int) async throws
        -> (blobs: [(name: String, size: Int64, modTime: Date)], prefixes: [String], next: String?) {
        var q: [(String, String)] = [("restype", "container"), ("comp", "list"), ("maxresults", String(maxResults))]
        if !prefix.isEmpty { q.append(("prefix", prefix)) }
        if let delimiter { q.append(("delimiter", delimiter)) }
        if let marker { q.append(("marker", marker)) }
        return Self.parseListPage(try await client.send("GET", blob: "", query: q).body)
    }

    public func move(from source: String, to destination: String) async throws {
        try StoragePath.checkFile(source)
        try StoragePath.checkFile(destination)
        try await mapping(source, "CopyBlob") {
            guard try await properties(source) != nil else { throw StorageError.pathNotFound(source) }
            let r = try await client.send("PUT", blob: blobName(destination),
                                          headers: ["x-ms-copy-source": client.url(blob: blobName(source))])
            var status = r.headers["x-ms-copy-status"] ?? "success"
            var polls = 0
            while status == "pending" {
                polls += 1
                try await Task.sleep(nanoseconds: UInt64(min(polls, 20)) * 100_000_000)
                status = try await client.send("HEAD", blob: blobName(destination)).headers["x-ms-copy-status"] ?? "success"
            }
            guard status == "success" else {
                throw AzureError(status: 500, code: "CopyFailed", message: "copy status \(status)")
            }
            _ = try await client.send("DELETE", blob: blobName(source), accept: [404])
        }
    }

    public func delete(_ path: String) async throws {
        try StoragePath.checkFile(path)
        try await mapping(path, "DeleteBlob") {
            var names: [String] = []
            if try await properties(path) != nil { names.append(blobName(path)) }
            var marker: String? = nil
            repeat {
                let page = try await listPage(prefix: directoryPrefix(path), delimiter: nil, marker: marker, maxResults: listPageSize)
                names += page.blobs.map(\.name)
                marker = page.next
            } while marker != nil
            guard !names.isEmpty else { throw StorageError.pathNotFound(path) }
            for n in names { _ = try await client.send("DELETE", blob: n, accept: [404]) }
        }
    }

    public func redirectURL(_ path: String, method: String) async throws -> String? {
        try StoragePath.check(path)
        // Without the account key (token credentials) there is no SAS to give: serve the bytes.
        guard method == "GET" || method == "HEAD", let signer = client.signer else { return nil }
        let sas = signer.blobReadSAS(container: configuration.container, blob: blobName(path),
                                            expiry: Date().addingTimeInterval(TimeInterval(configuration.redirectExpiry)),
                                            version: AzureClient.version)
        return client.url(blob: blobName(path), query: sas)
    }

    public func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws {
        try StoragePath.check(path)
        guard try await stat(path).isDirectory else { throw StorageError.pathNotFound(path) }
        // One listing per directory gives sizes and times: no Get Blob Properties per file.
        _ = try await StorageTreeWalk.walk(path, children: { [self] directory in
            do { return try await entries(directory) } catch StorageError.pathNotFound { return [] }
        }, visit)
    }
}
