import Foundation
import WharfHTTPClient

/// Objects in a Google Cloud Storage bucket through the JSON API, laid out as
/// distribution's gcs driver lays them out: name = `rootdirectory` + driver path without
/// the leading slash, so an existing distribution or OpenShift bucket is served as is.
///
/// - Directories are implied by name prefixes (`list` is objects.list with delimiter `/`,
///   following `pageToken`).
/// - Writers stream through resumable uploads in `chunksize` chunks (see ``GCSWriter``);
///   whatever a writer leaves on close is an ordinary object, so any replica continues it.
/// - Reads stream `alt=media` GETs from an offset with `Range` (``ResumingObjectReader``).
/// - `move` is objects.rewrite, looping on `rewriteToken`, then a delete.
/// - `redirectURL` is a V4 signed URL when there is a service-account key (``GCSSignedURL``).
/// - `delete` of a tree lists the prefix and deletes through the batch endpoint, 100 per call.
/// - 404 is `pathNotFound`; connection failures, 429 and 5xx (after the client's retries),
///   401 and 403 are `unavailable` (the registry answers 503).
public final class GCSDriver: StorageDriver, StorageErrorMapping, @unchecked Sendable {
    /// `gcs`.
    public let name = "gcs"
    /// The parameters the driver was built from.
    public let configuration: GCSConfiguration
    let client: GCSClient
    /// The service-account key requests authenticate with; nil without a key (then the GCE
    /// metadata server's token, or no Authorization header with an endpoint; no redirects).
    let serviceAccount: GCSServiceAccount?
    let keyspace: ObjectKeys
    /// The most bytes a reader hands out per chunk.
    let readChunkSize = 1 << 20
    /// Objects per objects.list page (the API's maximum: 1000).
    var listPageSize = 1000
    /// Calls per batch request (the API's maximum: 100).
    var deleteBatchSize = 100

    /// - Throws: ``StorageError/unsupported(_:)`` for a bad endpoint or key,
    ///   ``StorageError/unavailable(driver:message:)`` when the `trustedca` bundle cannot be loaded.
    public init(configuration: GCSConfiguration, timeout: TimeInterval = 60, maxAttempts: Int = 4) throws {
        self.configuration = configuration
        keyspace = ObjectKeys(root: configuration.rootDirectory)
        var http = HTTPClientConfiguration()
        http.connectTimeout = timeout
        http.readTimeout = timeout
        http.trust = HTTPClientTrust(caBundlePath: configuration.trustedCA)
        http.proxy = .environment()
        http.retry = HTTPRetryPolicy(maxAttempts: maxAttempts, retryStatuses: [429, 500, 502, 503, 504])
        let httpClient: HTTPClient
        do { httpClient = try HTTPClient(configuration: http) } catch {
            throw StorageError.unavailable(driver: "gcs", message: "\(error)")
        }
        if let json = configuration.keyJSON {
            let account = try GCSServiceAccount(json: json, source: configuration.keySource ?? "keyfile", http: httpClient)
            serviceAccount = account
            client = try GCSClient(configuration: configuration, http: httpClient, authorization: { try await account.token() })
        } else if let host = configuration.metadataHost {
            let metadata = try GCSMetadataCredentials(host: host)
            serviceAccount = nil
            client = try GCSClient(configuration: configuration, http: httpClient, authorization: { try await metadata.token() })
        } else {
            serviceAccount = nil
            client = try GCSClient(configuration: configuration, http: httpClient, authorization: nil)
        }
    }

    // MARK: names and errors

    /// The object name of a driver path.
    func key(_ path: String) -> String { keyspace.key(path) }


    /// Query items every object creation carries (the KMS key).
    var creationQuery: [(String, String)] { configuration.kmsKeyName.map { [("kmsKeyName", $0)] } ?? [] }

    /// Maps a GCS failure to a storage error (see the type's notes).
    func storageError(_ error: Error, path: String, operation: String) -> Error {
        switch error {
        case let e as StorageError: return e
        case let e as GCSError:
            if e.status == 404 { return StorageError.pathNotFound(path) }
            let text = "\(operation) \(path): \(e)"
            if e.status == 0 || e.status == 401 || e.status == 403 || e.status == 429 || e.status >= 500 {
                return StorageError.unavailable(driver: "gcs", message: text)
            }
            return StorageError.unknown(driver: "gcs", message: text)
        case is CancellationError: return error
        case let e as HTTPClientError: return StorageError.unavailable(driver: "gcs", message: "\(operation) \(path): \(e)")
        default: return StorageError.unknown(driver: "gcs", message: "\(operation) \(path): \(error)")
        }
    }

    // MARK: objects

    /// An object's size and update time, or nil when there is none.
    func metadata(name: String) async throws -> (size: Int64, modTime: Date)? {
        let r = try await client.send("GET", target: GCSClient.target(client.objectPath(name), [("fields", "size,updated")]), accept: [404])
        if r.status == 404 { return nil }
        let json = r.json
        return (Self.size(json["size"]), S3Driver.isoDate(json["updated"] as? String) ?? Date())
    }


    /// Uploads `body` as the object `name` in one multipart request (metadata, then the
    /// bytes; an empty body is an ordinary empty object this way on every server).
    func upload(name: String, _ body: Data) async throws {
        let boundary = "wharf-" + UUID().uuidString
        let metadata = try JSONSerialization.data(withJSONObject: ["name": name, "contentType": "application/octet-stream"])
        var multipart = Data("--\(boundary)\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".utf8)
        multipart.append(metadata)
        multipart.append(Data("\r\n--\(boundary)\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
        multipart.append(body)
        multipart.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let q = [("uploadType", "multipart")] + creationQuery
        _ = try await client.send("POST", target: GCSClient.target(client.uploadPath, q),
                                  headers: [("Content-Type", "multipart/related; boundary=\(boundary)")], body: multipart, idempotent: true)
    }

    /// Deletes the object `name`; a missing one is no error.
    func deleteObject(name: String) async throws {
        _ = try await client.send("DELETE", target: client.objectPath(name), accept: [404])
    }

    /// objects.compose of `sources` (in order) into `destination`.
    func compose(_ sources: [String], into destination: String) async throws {
        let body: [String: Any] = ["sourceObjects": sources.map { ["name": $0] },
                                   "destination": ["contentType": "application/octet-stream"]]
        _ = try await client.send("POST", target: GCSClient.target(client.objectPath(destination) + "/compose", creationQuery),
                                  headers: [("Content-Type", "application/json")],
                                  body: try JSONSerialization.data(withJSONObject: body), idempotent: true)
    }

    // MARK: StorageDriver

    public func getContent(_ path: String) async throws -> Data {
        try StoragePath.check(path)
        return try await mapping(path, "Get") {
            try await client.send("GET", target: GCSClient.target(client.objectPath(key(path)), [("alt", "media")])).body
        }
    }

    public func putContent(_ path: String, _ content: Data) async throws {
        try StoragePath.checkFile(path)
        try await mapping(path, "Put") { try await upload(name: key(path), content) }
    }

    public func reader(_ path: String, offset: Int64) async throws -> StorageReader {
        try StoragePath.check(path)
        guard let m = try await mapping(path, "Stat", { try await metadata(name: key(path)) }) else {
            throw StorageError.pathNotFound(path)
        }
        guard offset >= 0, offset <= m.size else { throw StorageError.invalidOffset(path: path, offset: offset) }
        return objectReader(path, offset: offset, size: m.size)
    }

    public func writer(_ path: String, append: Bool) async throws -> StorageWriter {
        try StoragePath.checkFile(path)
        return try await mapping(path, "Writer") {
            guard append else { return GCSWriter(driver: self, path: path, existingSize: nil) }
            guard let m = try await metadata(name: key(path)) else { throw StorageError.pathNotFound(path) }
            return GCSWriter(driver: self, path: path, existingSize: m.size)
        }
    }

    public func stat(_ path: String) async throws -> FileInfo {
        try StoragePath.check(path)
        return try await mapping(path, "Stat") {
            if path != "/", let m = try await metadata(name: key(path)) {
                return FileInfo(path: path, size: m.size, modTime: m.modTime, isDirectory: false)
            }
            let page = try await listPage(prefix: keyspace.directoryPrefix(path), delimiter: "/", token: nil, maxResults: 1)
            guard path == "/" || !page.items.isEmpty || !page.prefixes.isEmpty else { throw StorageError.pathNotFound(path) }
            return FileInfo(path: path, size: 0, modTime: Date(), isDirectory: true)
        }
    }

    public func list(_ path: String) async throws -> [String] {
        try StoragePath.check(path)
        return try await mapping(path, "List") {
            let prefix = keyspace.directoryPrefix(path)
            var children = Set<String>()
            var token: String? = nil
            repeat {
                let page = try await listPage(prefix: prefix, delimiter: "/", token: token, maxResults: listPageSize)
                for name in page.prefixes.map({ String($0.dropLast()) }) + page.items.map(\.name) where name != prefix {
                    // Names that are no driver path (a writer's pending parts) stay hidden.
                    let child = keyspace.path(ofKey: name)
                    if StoragePath.isValid(child) { children.insert(child) }
                }
                token = page.next
            } while token != nil
            if children.isEmpty && path != "/" { throw StorageError.pathNotFound(path) }
            return children.sorted()
        }
    }

    /// One objects.list page.
    func listPage(prefix: String, delimiter: String?, token: String?, maxResults: Int) async throws
        -> (items: [(name: String, size: Int64, modTime: Date)], prefixes: [String], next: String?) {
        var q: [(String, String)] = [("maxResults", String(maxResults)), ("fields", "items(name,size,updated),prefixes,nextPageToken")]
        if !prefix.isEmpty { q.append(("prefix", prefix)) }
        if let delimiter { q.append(("delimiter", delimiter)) }
        if let token { q.append(("pageToken", token)) }
        return Self.parseListPage(try await client.send("GET", target: GCSClient.target(client.objectPath(), q)).body)
    }

    public func move(from source: String, to destination: String) async throws {
        try StoragePath.checkFile(source)
        try StoragePath.checkFile(destination)
        try await mapping(source, "Move") {
            let target = client.objectPath(key(source)) + "/rewriteTo/b/\(GCSClient.encode(configuration.bucket))/o/" + GCSClient.encode(key(destination))
            var token: String? = nil
            repeat {
                var q = configuration.kmsKeyName.map { [("destinationKmsKeyName", $0)] } ?? []
                if let token { q.append(("rewriteToken", token)) }
                let json = try await client.send("POST", target: GCSClient.target(target, q), idempotent: true).json
                token = (json["done"] as? Bool ?? true) ? nil : json["rewriteToken"] as? String
            } while token != nil
            try await deleteObject(name: key(source))
        }
    }

    public func delete(_ path: String) async throws {
        try StoragePath.checkFile(path)
        try await mapping(path, "Delete") {
            var names: [String] = []
            if try await metadata(name: key(path)) != nil { names.append(key(path)) }
            var token: String? = nil
            repeat {
                let page = try await listPage(prefix: keyspace.directoryPrefix(path), delimiter: nil, token: token, maxResults: listPageSize)
                names += page.items.map(\.name)
                token = page.next
            } while token != nil
            // A writer's pending parts (`<name>#…`) go with the file.
            let pending = try await listPage(prefix: key(path) + GCSWriter.pendingSeparator, delimiter: nil, token: nil, maxResults: listPageSize)
            names += pending.items.map(\.name)
            guard !names.isEmpty else { throw StorageError.pathNotFound(path) }
            try await deleteObjects(names)
        }
    }

    /// Deletes objects through the batch endpoint, ``deleteBatchSize`` per call; an object
    /// already gone is no error, any other failure is.
    func deleteObjects(_ names: [String]) async throws {
        var index = 0
        while index < names.count {
            let batch = names[index..<min(names.count, index + deleteBatchSize)]
            index += batch.count
            let boundary = "wharf-" + UUID().uuidString
            var body = ""
            for (n, name) in batch.enumerated() {
                body += "--\(boundary)\r\nContent-Type: application/http\r\nContent-ID: <\(n + 1)>\r\n\r\n"
                body += "DELETE \(client.objectPath(name)) HTTP/1.1\r\n\r\n"
            }
            body += "--\(boundary)--\r\n"
            let r = try await client.send("POST", target: client.batchPath,
                                          headers: [("Content-Type", "multipart/mixed; boundary=\(boundary)")],
                                          body: Data(body.utf8), idempotent: true)
            let text = String(decoding: r.body, as: UTF8.self)
            for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("HTTP/1.1 ") {
                let status = Int(line.dropFirst(9).prefix(3)) ?? 0
                if !(200..<300).contains(status) && status != 404 {
                    throw GCSError(status: status, message: "batch delete: \(line)")
                }
            }
        }
    }

    public func redirectURL(_ path: String, method: String) async throws -> String? {
        try StoragePath.check(path)
        guard let serviceAccount, method == "GET" || method == "HEAD" else { return nil }
        return try await mapping(path, "SignURL") {
            try GCSSignedURL.make(method: method, endpoint: configuration.endpoint, bucket: configuration.bucket, name: key(path),
                                  account: serviceAccount, expires: configuration.redirectExpiry)
        }
    }

    public func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws {
        try StoragePath.check(path)
        try await walkByListing(path, visit)
    }
}
