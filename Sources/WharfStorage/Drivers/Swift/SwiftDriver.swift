import Foundation
import WharfHTTPClient

/// Objects in an OpenStack Swift container, laid out as distribution's swift driver lays them
/// out: a file is the object `<prefix>/files<path>`, so an existing distribution or OpenShift
/// container is served as is; large objects' segments live under `<prefix>/segments/`.
///
/// - Start: the first call logs in (``SwiftAuthenticator``), creates the container when it is
///   missing and, with `secretkey`, sets the temp-URL key on the account (or container).
/// - Writers (``SwiftWriter``) send `chunksize` segments and join them at close with a Static
///   Large Object manifest; content under one chunk is a single PUT.
/// - Reads stream GETs with `Range` (``ResumingObjectReader``); an SLO's GET returns the joined bytes.
/// - `list` follows `marker` through `prefix` + `delimiter` listings; `stat` is a HEAD, or a
///   one-entry prefix listing for a directory.
/// - `move` is a server-side COPY with `multipart-manifest=get` (an SLO's manifest is copied,
///   not its bytes), then a DELETE of the source.
/// - `delete` removes SLO manifests with their segments (`multipart-manifest=delete`) and
///   everything else through bulk delete.
/// - 404 is `pathNotFound`; connection failures, 401/403, 429 and 5xx (after the client's
///   retries) are `unavailable` (the registry answers 503).
public final class SwiftDriver: StorageDriver, StorageErrorMapping, @unchecked Sendable {
    /// `swift`.
    public let name = "swift"
    /// The parameters the driver was built from.
    public let configuration: SwiftConfiguration
    let client: SwiftClient
    let keyspace: ObjectKeys
    /// The name prefix of segments.
    let segmentsPrefix: String
    /// The most bytes a reader hands out per chunk.
    let readChunkSize = 1 << 20
    /// Entries per listing page (Swift's default maximum: 10,000).
    var listPageSize = 10_000
    /// Names per bulk-delete request (Swift's default maximum: 10,000).
    var bulkDeleteSize = 1_000
    private let lock = NSLock()
    private var preparation: Task<SwiftTempURLSigner?, Error>?

    /// - Throws: ``StorageError/unavailable(driver:message:)`` when the `trustedca` bundle cannot be loaded.
    public init(configuration: SwiftConfiguration, timeout: TimeInterval = 60, maxAttempts: Int = 4) throws {
        self.configuration = configuration
        let prefix = configuration.prefix.isEmpty ? "" : configuration.prefix + "/"
        keyspace = ObjectKeys(root: prefix + "files")
        segmentsPrefix = prefix + "segments/"
        var http = HTTPClientConfiguration()
        http.connectTimeout = timeout
        http.readTimeout = timeout
        http.trust = HTTPClientTrust(caBundlePath: configuration.trustedCA, insecureSkipVerify: configuration.insecureSkipVerify)
        http.proxy = .environment()
        http.retry = HTTPRetryPolicy(maxAttempts: maxAttempts, retryStatuses: [429, 500, 502, 503, 504])
        let httpClient: HTTPClient
        do { httpClient = try HTTPClient(configuration: http) } catch {
            throw StorageError.unavailable(driver: "swift", message: "\(error)")
        }
        client = SwiftClient(http: httpClient, auth: SwiftAuthenticator(configuration: configuration, http: httpClient),
                             container: configuration.container)
    }

    // MARK: start-up

    /// Logs in, creates the container if it is missing and sets the temp-URL key, once; a
    /// failure is retried by the next call. Returns the temp-URL signer (nil without `secretkey`).
    @discardableResult
    func prepared() async throws -> SwiftTempURLSigner? {
        let task: Task<SwiftTempURLSigner?, Error> = lock.withLock {
            if let preparation { return preparation }
            let t = Task { try await self.prepare() }
            preparation = t
            return t
        }
        do { return try await task.value } catch {
            lock.withLock { if preparation == task { preparation = nil } }
            throw error
        }
    }

    private func prepare() async throws -> SwiftTempURLSigner? {
        let head = try await client.send("HEAD", client.resource(nil), accept: [404])
        if head.status == 404 { _ = try await client.send("PUT", client.resource(nil), body: Data()) }
        guard let key = configuration.secretKey else { return nil }
        let header = configuration.tempURLContainerKey ? "X-Container-Meta-Temp-URL-Key" : "X-Account-Meta-Temp-URL-Key"
        _ = try await client.send("POST", configuration.tempURLContainerKey ? client.resource(nil) : "",
                                  headers: [(header, key)], body: Data(), idempotent: true)
        return try await SwiftTempURLSigner.make(client: client, key: key)
    }

    // MARK: names and errors

    /// The object name of a driver path.
    func key(_ path: String) -> String { keyspace.key(path) }


    /// Maps a Swift failure to a storage error (see the type's notes).
    func storageError(_ error: Error, path: String, operation: String) -> Error {
        switch error {
        case let e as StorageError: return e
        case let e as SwiftError:
            if e.status == 404 { return StorageError.pathNotFound(path) }
            let text = "\(operation) \(path): \(e)"
            if e.status == 0 || e.status == 401 || e.status == 403 || e.status == 429 || e.status >= 500 {
                return StorageError.unavailable(driver: "swift", message: text)
            }
            return StorageError.unknown(driver: "swift", message: text)
        case is CancellationError: return error
        case let e as HTTPClientError: return StorageError.unavailable(driver: "swift", message: "\(operation) \(path): \(e)")
        default: return StorageError.unknown(driver: "swift", message: "\(operation) \(path): \(error)")
        }
    }

    /// Runs `body` once the driver is prepared, mapping errors.
    func run<T>(_ path: String, _ operation: String, _ body: () async throws -> T) async throws -> T {
        try await mapping(path, operation) {
            try await prepared()
            return try await body()
        }
    }

    // MARK: objects

    /// What a HEAD of an object tells: its size, time, and whether it is an SLO manifest.
    struct ObjectHead { var size: Int64; var modTime: Date; var isSLO: Bool }

    /// HEAD of the object `name`, or nil when there is none.
    func head(name: String) async throws -> ObjectHead? {
        let r = try await client.send("HEAD", client.resource(name), accept: [404])
        if r.status == 404 { return nil }
        let time = Double(r.headers["X-Timestamp"] ?? "").map { Date(timeIntervalSince1970: $0) } ?? Date()
        return ObjectHead(size: Int64(r.headers["Content-Length"] ?? "") ?? 0, modTime: time,
                          isSLO: r.headers["X-Static-Large-Object"]?.lowercased() == "true")
    }

    /// PUTs `body` as the object `name`; returns its ETag.
    @discardableResult
    func put(name: String, _ body: Data) async throws -> String {
        let r = try await client.send("PUT", client.resource(name), headers: [("Content-Type", "application/octet-stream")], body: body)
        return r.headers["Etag"] ?? ""
    }

    /// Deletes the object `name` (with its segments when `slo`); a missing one is no error.
    func deleteObject(name: String, slo: Bool = false) async throws {
        let q = slo ? [("multipart-manifest", "delete")] : []
        _ = try await client.send("DELETE", client.resource(name, q), headers: [("Accept", "application/json")], accept: [404])
    }

    /// One listing page: entries as (name, isSLO) and directory prefixes (`subdir`).
    func listPage(prefix: String, delimiter: String?, marker: String?, limit: Int) async throws
        -> (objects: [(name: String, isSLO: Bool)], prefixes: [String]) {
        var q = [("format", "json"), ("limit", String(limit))]
        if !prefix.isEmpty { q.append(("prefix", prefix)) }
        if let delimiter { q.append(("delimiter", delimiter)) }
        if let marker { q.append(("marker", marker)) }
        let r = try await client.send("GET", client.resource(nil, q))
        let entries = (try? JSONSerialization.jsonObject(with: r.body)) as? [[String: Any]] ?? []
        var objects: [(name: String, isSLO: Bool)] = []
        var prefixes: [String] = []
        for e in entries {
            if let s = e["subdir"] as? String { prefixes.append(s) } else if let n = e["name"] as? String {
                objects.append((n, e["slo_etag"] != nil))
            }
        }
        return (objects, prefixes)
    }

    /// Every object below `prefix` (no delimiter), following `marker`.
    func listAll(prefix: String) async throws -> [(name: String, isSLO: Bool)] {
        var all: [(name: String, isSLO: Bool)] = []
        var marker: String? = nil
        while true {
            let page = try await listPage(prefix: prefix, delimiter: nil, marker: marker, limit: listPageSize)
            all += page.objects
            guard page.objects.count == listPageSize, let last = page.objects.last else { return all }
            marker = last.name
        }
    }

    // MARK: StorageDriver

    public func getContent(_ path: String) async throws -> Data {
        try StoragePath.check(path)
        return try await run(path, "Get") { try await client.send("GET", client.resource(key(path))).body }
    }

    public func putContent(_ path: String, _ content: Data) async throws {
        try StoragePath.checkFile(path)
        try await run(path, "Put") { try await put(name: key(path), content) }
    }

    public func reader(_ path: String, offset: Int64) async throws -> StorageReader {
        try StoragePath.check(path)
        guard let h = try await run(path, "Stat", { try await head(name: key(path)) }) else {
            throw StorageError.pathNotFound(path)
        }
        guard offset >= 0, offset <= h.size else { throw StorageError.invalidOffset(path: path, offset: offset) }
        return objectReader(path, offset: offset, size: h.size)
    }

    public func writer(_ path: String, append: Bool) async throws -> StorageWriter {
        try StoragePath.checkFile(path)
        return try await run(path, "Writer") {
            guard append else { return SwiftWriter(driver: self, path: path) }
            return try await SwiftWriter.resume(driver: self, path: path)
        }
    }

    public func stat(_ path: String) async throws -> FileInfo {
        try StoragePath.check(path)
        return try await run(path, "Stat") {
            if path != "/", let h = try await head(name: key(path)) {
                return FileInfo(path: path, size: h.size, modTime: h.modTime, isDirectory: false)
            }
            let page = try await listPage(prefix: keyspace.directoryPrefix(path), delimiter: nil, marker: nil, limit: 1)
            guard path == "/" || !page.objects.isEmpty else { throw StorageError.pathNotFound(path) }
            return FileInfo(path: path, size: 0, modTime: Date(), isDirectory: true)
        }
    }

    public func list(_ path: String) async throws -> [String] {
        try StoragePath.check(path)
        return try await run(path, "List") {
            let prefix = keyspace.directoryPrefix(path)
            var children = Set<String>()
            var marker: String? = nil
            while true {
                let page = try await listPage(prefix: prefix, delimiter: "/", marker: marker, limit: listPageSize)
                let names = page.prefixes + page.objects.map(\.name)
                for name in names {
                    let trimmed = name.hasSuffix("/") ? String(name.dropLast()) : name
                    guard trimmed != prefix, trimmed.count > prefix.count else { continue }
                    let child = keyspace.path(ofKey: trimmed)
                    if StoragePath.isValid(child) { children.insert(child) }
                }
                guard names.count == listPageSize, let last = names.max() else { break }
                // Past a whole subdirectory: `a/` would roll `a/…` up again; `a0` follows them all.
                marker = last.hasSuffix("/") ? last.dropLast() + "0" : last
            }
            if children.isEmpty && path != "/" { throw StorageError.pathNotFound(path) }
            return children.sorted()
        }
    }

    public func move(from source: String, to destination: String) async throws {
        try StoragePath.checkFile(source)
        try StoragePath.checkFile(destination)
        try await run(source, "Move") {
            let target = SwiftClient.encode(configuration.container, slash: true) + "/" + SwiftClient.encode(key(destination))
            _ = try await client.send("COPY", client.resource(key(source), [("multipart-manifest", "get")]),
                                      headers: [("Destination", target)], idempotent: true)
            try await deleteObject(name: key(source))
        }
    }

    public func delete(_ path: String) async throws {
        try StoragePath.checkFile(path)
        try await run(path, "Delete") {
            var objects: [(name: String, isSLO: Bool)] = []
            if let h = try await head(name: key(path)) { objects.append((key(path), h.isSLO)) }
            objects += try await listAll(prefix: keyspace.directoryPrefix(path))
            guard !objects.isEmpty else { throw StorageError.pathNotFound(path) }
            for o in objects where o.isSLO { try await deleteObject(name: o.name, slo: true) }
            try await bulkDelete(objects.filter { !$0.isSLO }.map(\.name))
        }
    }

    /// Deletes objects through the bulk middleware, ``bulkDeleteSize`` per request; one
    /// already gone is no error, any other failure is.
    func bulkDelete(_ names: [String]) async throws {
        var index = 0
        while index < names.count {
            let batch = names[index..<min(names.count, index + bulkDeleteSize)]
            index += batch.count
            let container = SwiftClient.encode(configuration.container, slash: true)
            let body = batch.map { "/\(container)/\(SwiftClient.encode($0))" }.joined(separator: "\n")
            let r = try await client.send("POST", "?bulk-delete", headers: [("Content-Type", "text/plain"), ("Accept", "application/json")],
                                          body: Data(body.utf8), idempotent: true)
            let status = r.json["Response Status"] as? String ?? ""
            let errors = r.json["Errors"] as? [Any] ?? []
            if !status.hasPrefix("2") || !errors.isEmpty {
                throw SwiftError(status: Int(status.prefix(3)) ?? 502, message: "bulk delete: \(status) \(errors.prefix(3))")
            }
        }
    }

    public func redirectURL(_ path: String, method: String) async throws -> String? {
        try StoragePath.check(path)
        guard configuration.secretKey != nil, configuration.tempURLMethods.contains(method.uppercased()) else { return nil }
        return try await run(path, "TempURL") {
            guard let signer = try await prepared() else { return nil }
            let session = try await client.auth.session()
            return try signer.url(storageURL: session.storageURL, resource: client.resource(key(path)),
                                  method: method == "HEAD" ? "GET" : method, expires: configuration.redirectExpiry)
        }
    }

    public func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws {
        try StoragePath.check(path)
        try await walkByListing(path, visit)
    }
}
