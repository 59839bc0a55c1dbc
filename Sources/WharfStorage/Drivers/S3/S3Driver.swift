import COpenSSL
import Foundation
import WharfHTTPClient

/// Objects in an S3 bucket (AWS, Ceph RGW, NooBaa, MinIO, moto), laid out as
/// distribution's s3 driver lays them out: key = `rootdirectory` + driver path, without
/// the leading slash, so an existing distribution bucket is served as is.
///
/// - Directories are implied by key prefixes (`list` is ListObjectsV2 with delimiter `/`,
///   following continuation tokens).
/// - Writers stream through multipart uploads (see ``S3Writer``); appends grow a segment
///   manifest (``S3SegmentedWriter``), so each session's bytes are sent once. `move` is a
///   server-side copy (multipart copy of the segments, or above 5 GiB) then a delete;
///   nothing is downloaded and re-uploaded.
/// - Reads stream one GET from the offset (``S3Reader``).
/// - `delete` of a tree is DeleteObjects, 1000 keys per call; garbage collection lists
///   whole trees flat and deletes listed files in batches (``walkFiles(_:_:)``, ``deleteFiles(_:)``).
/// - `redirectURL` is a presigned GET valid for `redirectexpiry` seconds.
/// - Every failure is a ``StorageError``; backend failures carry the S3 error code.
///
/// ```swift
/// let driver = try S3Driver(configuration: S3Configuration(parameters: ["bucket": "registry", "regionendpoint": "http://127.0.0.1:9000"]))
/// ```
public final class S3Driver: StorageDriver, StorageErrorMapping, @unchecked Sendable {
    /// `s3`.
    public let name = "s3"
    /// The parameters the driver was built from.
    public let configuration: S3Configuration
    let client: S3Client
    /// The most bytes a reader hands out per chunk (and reads from the socket at once).
    let readChunkSize = 1 << 20
    /// How often in a row a reader reconnects after a failure mid-body without progress.
    var readResumeAttempts = 3
    /// The largest part a server-side copy moves (S3's limit for one copy: 5 GiB).
    var maxCopyPart: Int64 = 5 << 30
    /// Keys per ListObjectsV2 page (S3's maximum: 1000).
    var listPageSize = 1000
    /// Keys per DeleteObjects call (S3's maximum: 1000).
    var deleteBatchSize = 1000

    /// - Throws: ``StorageError/unavailable(driver:message:)`` when the `trustedca` bundle
    ///   cannot be loaded.
    public init(configuration: S3Configuration, timeout: TimeInterval = 60, maxAttempts: Int = 4) throws {
        self.configuration = configuration
        let signer = S3Signer(credentials: configuration.credentials, region: configuration.region)
        var http = HTTPClientConfiguration()
        http.connectTimeout = timeout
        http.readTimeout = timeout
        http.trust = HTTPClientTrust(caBundlePath: configuration.trustedCA)
        http.proxy = .environment()
        http.retry = .never
        let httpClient: HTTPClient
        do {
            httpClient = try HTTPClient(configuration: http)
        } catch {
            throw StorageError.unavailable(driver: "s3", message: "\(error)")
        }
        client = S3Client(scheme: configuration.scheme, endpointHost: configuration.endpointHost, bucket: configuration.bucket,
                          virtualHosted: configuration.virtualHosted, signer: signer, maxAttempts: maxAttempts,
                          http: httpClient)
    }

    // MARK: keys

    /// The object key of a driver path (`""` for the root without a root directory).
    func key(_ path: String) -> String { ObjectKeys(root: configuration.rootDirectory).key(path) }

    /// The key prefix of everything below a directory path.
    func directoryPrefix(_ path: String) -> String { ObjectKeys(root: configuration.rootDirectory).directoryPrefix(path) }

    /// The driver path of a key below the root.
    func path(ofKey key: String) -> String { ObjectKeys(root: configuration.rootDirectory).path(ofKey: key) }


    /// Headers every object creation carries: storage class and server-side encryption.
    var creationHeaders: [String: String] {
        var h: [String: String] = [:]
        if let sc = configuration.storageClass { h["x-amz-storage-class"] = sc }
        if configuration.encrypt {
            if let kms = configuration.keyID {
                h["x-amz-server-side-encryption"] = "aws:kms"
                h["x-amz-server-side-encryption-aws-kms-key-id"] = kms
            } else {
                h["x-amz-server-side-encryption"] = "AES256"
            }
        }
        return h
    }

    /// Maps an S3 failure to a storage error: 404s to `pathNotFound`, the rest keep the code.
    func storageError(_ error: Error, path: String, operation: String) -> Error {
        switch error {
        case let e as StorageError: return e
        case let e as S3Error:
            if e.status == 404, e.code == "NoSuchKey" || e.code == "NotFound" { return StorageError.pathNotFound(path) }
            if Self.unavailableCodes.contains(e.code) || e.status >= 500 || e.status == 0 || e.status == 403 {
                return StorageError.unavailable(driver: "s3", message: "\(operation) \(path): \(e.code) (HTTP \(e.status)): \(e.message)")
            }
            return StorageError.unknown(driver: "s3", message: "\(operation) \(path): \(e.code) (HTTP \(e.status)): \(e.message)")
        case is CancellationError: return error
        default: return StorageError.unknown(driver: "s3", message: "\(operation) \(path): \(error)")
        }
    }

    /// S3 codes that mean the store as a whole is unusable now, not that one request was bad.
    static let unavailableCodes: Set<String> = ["NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied",
                                                "SlowDown", "ServiceUnavailable", "InternalError", "ExpiredToken"]

    // MARK: StorageDriver

    public func getContent(_ path: String) async throws -> Data {
        try StoragePath.check(path)
        return try await mapping(path, "GetObject") {
            let r = try await client.send("GET", key: key(path))
            guard r.headers[S3SegmentManifest.metadataHeader] != nil else { return r.body }
            let manifest = try Self.manifest(r.body, path: path)
            var out = Data()
            for s in manifest.segments {
                out.append(try await client.send("GET", key: key(S3SegmentManifest.segmentPath(path, s.name))).body)
            }
            return out
        }
    }

    /// The segment manifest at `path` (see ``S3SegmentManifest``).
    func manifest(_ path: String) async throws -> S3SegmentManifest {
        try Self.manifest(try await client.send("GET", key: key(path)).body, path: path)
    }

    static func manifest(_ body: Data, path: String) throws -> S3SegmentManifest {
        guard let m = S3SegmentManifest(decoding: body) else {
            throw StorageError.unknown(driver: "s3", message: "\(path): unreadable segment manifest")
        }
        return m
    }

    public func putContent(_ path: String, _ content: Data) async throws {
        try StoragePath.checkFile(path)
        try await mapping(path, "PutObject") {
            var h = creationHeaders
            h["content-type"] = "application/octet-stream"
            _ = try await client.send("PUT", key: key(path), headers: h, body: content)
        }
    }

    public func reader(_ path: String, offset: Int64) async throws -> StorageReader {
        try StoragePath.check(path)
        let h = try await mapping(path, "HeadObject") { try await head(path) }
        guard let h else { throw StorageError.pathNotFound(path) }
        guard offset >= 0, offset <= h.size else { throw StorageError.invalidOffset(path: path, offset: offset) }
        if h.segmented {
            let m = try await mapping(path, "GetObject") { try await manifest(path) }
            return S3SegmentedReader(driver: self, path: path, manifest: m, offset: offset)
        }
        return S3Reader(driver: self, path: path, offset: offset, size: h.size)
    }

    public func writer(_ path: String, append: Bool) async throws -> StorageWriter {
        try StoragePath.checkFile(path)
        return try await mapping(path, "Writer") {
            if append {
                guard let h = try await head(path) else { throw StorageError.pathNotFound(path) }
                // Appends grow a segment manifest (each session's bytes sent once); a plain
                // object from 5 MiB (written whole before) resumes by server-side part copy.
                if h.segmented {
                    return try await S3SegmentedWriter.resume(driver: self, path: path, manifest: try await manifest(path), plain: nil)
                }
                if h.size < S3Writer.minimumPartSize {
                    let body = h.size > 0 ? try await client.send("GET", key: key(path)).body : Data()
                    guard Int64(body.count) == h.size else {
                        throw S3Error(status: 0, code: "ConcurrentModification", message: "object changed size while resuming")
                    }
                    return try await S3SegmentedWriter.resume(driver: self, path: path, manifest: nil, plain: body)
                }
                return try await S3Writer.resume(driver: self, path: path, existingSize: h.size)
            }
            return S3Writer(driver: self, path: path)
        }
    }

    /// HEAD of the object: its content's size (a segment manifest's too), modification time
    /// and whether it is a segment manifest, or nil when there is none.
    func head(_ path: String) async throws -> (size: Int64, modTime: Date, segmented: Bool)? {
        let r = try await client.send("HEAD", key: key(path), accept: [404])
        if r.status == 404 { return nil }
        let modTime = Self.httpDate(r.headers["last-modified"]) ?? Date()
        if let total = r.headers[S3SegmentManifest.metadataHeader] {
            return (Int64(total) ?? 0, modTime, true)
        }
        return (Int64(r.headers["content-length"] ?? "") ?? 0, modTime, false)
    }

    /// The size of the object at `path`; `pathNotFound` when there is none.
    func objectSize(_ path: String) async throws -> Int64 {
        try await mapping(path, "HeadObject") {
            guard let h = try await head(path) else { throw StorageError.pathNotFound(path) }
            return h.size
        }
    }

    public func stat(_ path: String) async throws -> FileInfo {
        try StoragePath.check(path)
        return try await mapping(path, "Stat") {
            if path != "/", let h = try await head(path) {
                return FileInfo(path: path, size: h.size, modTime: h.modTime, isDirectory: false)
            }
            let page = try await listPage(prefix: directoryPrefix(path), delimiter: "/", token: nil, maxKeys: 1)
            guard path == "/" || !page.keys.isEmpty || !page.prefixes.isEmpty else { throw StorageError.pathNotFound(path) }
            return FileInfo(path: path, size: 0, modTime: Date(), isDirectory: true)
        }
    }

    public func list(_ path: String) async throws -> [String] {
        try StoragePath.check(path)
        return try await entries(path).map(\.path)
    }

    /// The direct children of a directory with what the listing says about them.
    func entries(_ path: String) async throws -> [FileInfo] {
        try await mapping(path, "ListObjectsV2") {
            let prefix = directoryPrefix(path)
            var out: [FileInfo] = []
            var token: String? = nil
            repeat {
                let page = try await listPage(prefix: prefix, delimiter: "/", token: token, maxKeys: listPageSize)
                for p in page.prefixes {
                    let child = self.path(ofKey: String(p.dropLast()))
                    if StoragePath.isValid(child) { out.append(FileInfo(path: child, size: 0, modTime: Date(), isDirectory: true)) }
                }
                for k in page.keys where k.key != prefix {
                    let child = self.path(ofKey: k.key)
                    if StoragePath.isValid(child) { out.append(FileInfo(path: child, size: k.size, modTime: k.modTime, isDirectory: false)) }
                }
                token = page.next
            } while token != nil
            if out.isEmpty && path != "/" { throw StorageError.pathNotFound(path) }
            // A segmented file's segments live below its own key: not a directory of its own.
            let files = Set(out.lazy.filter { !$0.isDirectory }.map(\.path))
            if !files.isEmpty { out.removeAll { $0.isDirectory && files.contains($0.path) } }
            return out.sorted { $0.path < $1.path }
        }
    }

    /// One ListObjectsV2 page.
    func listPage(prefix: String, delimiter: String?, token: String?, maxKeys: Int) async throws
        -> (keys: [(key: String, size: Int64, modTime: Date)], prefixes: [String], next: String?) {
        var q: [(String, String)] = [("list-type", "2"), ("max-keys", String(maxKeys))]
        if !prefix.isEmpty { q.append(("prefix", prefix)) }
        if let delimiter { q.append(("delimiter", delimiter)) }
        if let token { q.append(("continuation-token", token)) }
        return Self.parseListPage(try await client.send("GET", key: "", query: q).body)
    }

    public func move(from source: String, to destination: String) async throws {
        try StoragePath.checkFile(source)
        try StoragePath.checkFile(destination)
        try await mapping(source, "Move") {
            guard let h = try await head(source) else { throw StorageError.pathNotFound(source) }
            guard h.segmented else {
                try await copy(from: source, to: destination, size: h.size)
                _ = try await client.send("DELETE", key: key(source), accept: [404])
                return
            }
            let m = try await manifest(source)
            try await copySegments(m, of: source, to: destination)
            try await deleteObjects([key(source)] + m.segments.map { key(S3SegmentManifest.segmentPath(source, $0.name)) })
        }
    }

    /// The `x-amz-copy-source` value for a path.
    func copySource(_ path: String) -> String {
        "/" + configuration.bucket + "/" + S3Signer.uriEncode(key(path), keepSlash: true)
    }

    /// Server-side copy: CopyObject up to 5 GiB, a multipart copy above.
    func copy(from source: String, to destination: String, size: Int64) async throws {
        if size <= maxCopyPart {
            var h = creationHeaders
            h["x-amz-copy-source"] = copySource(source)
            let r = try await client.send("PUT", key: key(destination), headers: h, body: Data())
            try Self.checkEmbeddedError(r)
            return
        }
        let uploadID = try await createMultipartUpload(destination)
        do {
            let parts = try await copyParts(from: source, size: size, to: destination, uploadID: uploadID, firstPart: 1)
            try await completeMultipartUpload(destination, uploadID: uploadID, parts: parts)
        } catch {
            _ = try? await client.send("DELETE", key: key(destination), query: [("uploadId", uploadID)], accept: [404])
            throw error
        }
    }

    /// Server-side copy of a segmented file's content into a plain object: CopyObject of a
    /// lone segment, else one multipart upload whose parts are copies of the segments.
    func copySegments(_ m: S3SegmentManifest, of source: String, to destination: String) async throws {
        if m.segments.count <= 1 {
            guard let only = m.segments.first else {
                var h = creationHeaders
                h["content-type"] = "application/octet-stream"
                _ = try await client.send("PUT", key: key(destination), headers: h, body: Data())
                return
            }
            try await copy(from: S3SegmentManifest.segmentPath(source, only.name), to: destination, size: only.size)
            return
        }
        let uploadID = try await createMultipartUpload(destination)
        do {
            var parts: [(Int, String)] = []
            for s in m.segments {
                parts += try await copyParts(from: S3SegmentManifest.segmentPath(source, s.name), size: s.size, to: destination,
                                             uploadID: uploadID, firstPart: parts.count + 1)
            }
            try await completeMultipartUpload(destination, uploadID: uploadID, parts: parts)
        } catch {
            _ = try? await client.send("DELETE", key: key(destination), query: [("uploadId", uploadID)], accept: [404])
            throw error
        }
    }

    /// UploadPartCopy of the whole source in pieces of at most 5 GiB, each ≥ 5 MiB when
    /// the source is; returns part numbers and ETags.
    func copyParts(from source: String, size: Int64, to destination: String, uploadID: String, firstPart: Int) async throws -> [(Int, String)] {
        let count = max(1, Int((size + maxCopyPart - 1) / maxCopyPart))
        let piece = (size + Int64(count) - 1) / Int64(count)
        var parts: [(Int, String)] = []
        var start: Int64 = 0
        while start < size {
            let end = min(size, start + piece) - 1
            let number = firstPart + parts.count
            let r = try await client.send("PUT", key: key(destination), query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                          headers: ["x-amz-copy-source": copySource(source), "x-amz-copy-source-range": "bytes=\(start)-\(end)"],
                                          body: Data())
            try Self.checkEmbeddedError(r)
            guard let etag = S3XML.first("ETag", in: String(decoding: r.body, as: UTF8.self)) else {
                throw S3Error(status: r.status, code: "MalformedResponse", message: "UploadPartCopy answer without ETag")
            }
            parts.append((number, etag))
            start = end + 1
        }
        return parts
    }

    /// CreateMultipartUpload; returns the upload id.
    func createMultipartUpload(_ path: String) async throws -> String {
        var h = creationHeaders
        h["content-type"] = "application/octet-stream"
        let r = try await client.send("POST", key: key(path), query: [("uploads", "")], headers: h, body: Data(), idempotent: true)
        guard let id = S3XML.first("UploadId", in: String(decoding: r.body, as: UTF8.self)) else {
            throw S3Error(status: r.status, code: "MalformedResponse", message: "CreateMultipartUpload answer without UploadId")
        }
        return id
    }

    /// CompleteMultipartUpload with `parts` (number, ETag), in order.
    func completeMultipartUpload(_ path: String, uploadID: String, parts: [(Int, String)]) async throws {
        var xml = "<CompleteMultipartUpload>"
        for (n, etag) in parts { xml += "<Part><PartNumber>\(n)</PartNumber><ETag>\(S3XML.escape(etag))</ETag></Part>" }
        xml += "</CompleteMultipartUpload>"
        let r = try await client.send("POST", key: key(path), query: [("uploadId", uploadID)], body: Data(xml.utf8))
        try Self.checkEmbeddedError(r)
    }

    /// S3 may answer 200 to CopyObject/CompleteMultipartUpload and put an `<Error>` in the body.
    static func checkEmbeddedError(_ r: S3Response) throws {
        let text = String(decoding: r.body.prefix(4096), as: UTF8.self)
        if text.contains("<Error>") { throw S3Client.error(from: S3Response(status: r.status, headers: r.headers, body: r.body)) }
    }

    public func delete(_ path: String) async throws {
        try StoragePath.checkFile(path)
        try await mapping(path, "Delete") {
            var keys: [String] = []
            if try await head(path) != nil { keys.append(key(path)) }
            var token: String? = nil
            repeat {
                let page = try await listPage(prefix: directoryPrefix(path), delimiter: nil, token: token, maxKeys: listPageSize)
                keys += page.keys.map(\.key)
                token = page.next
            } while token != nil
            // Multipart uploads a crashed writer left open below the path go too (they are billed).
            try await abortMultipartUploads(prefix: key(path))
            guard !keys.isEmpty else { throw StorageError.pathNotFound(path) }
            try await deleteObjects(keys)
        }
    }

    /// Aborts every multipart upload in progress for keys starting with `prefix` that are
    /// the key itself or below it.
    func abortMultipartUploads(prefix: String) async throws {
        var keyMarker: String? = nil, idMarker: String? = nil
        repeat {
            var q: [(String, String)] = [("uploads", ""), ("prefix", prefix)]
            if let keyMarker { q.append(("key-marker", keyMarker)) }
            if let idMarker { q.append(("upload-id-marker", idMarker)) }
            let r = try await client.send("GET", key: "", query: q)
            let xml = String(decoding: r.body, as: UTF8.self)
            for upload in S3XML.blocks("Upload", in: xml) {
                guard let k = S3XML.first("Key", in: upload), let id = S3XML.first("UploadId", in: upload),
                      k == prefix || k.hasPrefix(prefix + "/") else { continue }
                _ = try await client.send("DELETE", key: k, query: [("uploadId", id)], accept: [404])
            }
            let truncated = S3XML.first("IsTruncated", in: xml) == "true"
            keyMarker = truncated ? S3XML.first("NextKeyMarker", in: xml) : nil
            idMarker = truncated ? S3XML.first("NextUploadIdMarker", in: xml) : nil
        } while keyMarker != nil
    }

    /// DeleteObjects in batches of 1000 keys; any per-key error fails the call.
    func deleteObjects(_ keys: [String]) async throws {
        var index = 0
        while index < keys.count {
            let batch = keys[index..<min(keys.count, index + deleteBatchSize)]
            index += batch.count
            var xml = "<Delete><Quiet>true</Quiet>"
            for k in batch { xml += "<Object><Key>\(S3XML.escape(k))</Key></Object>" }
            xml += "</Delete>"
            let body = Data(xml.utf8)
            let r = try await client.send("POST", key: "", query: [("delete", "")],
                                          headers: ["content-md5": Self.md5Base64(body), "content-type": "application/xml"],
                                          body: body, idempotent: true)
            let text = String(decoding: r.body, as: UTF8.self)
            if let failure = S3XML.blocks("Error", in: text).first {
                throw S3Error(status: r.status, code: S3XML.first("Code", in: failure) ?? "DeleteFailed",
                              message: "\(S3XML.first("Key", in: failure) ?? ""): \(S3XML.first("Message", in: failure) ?? "")")
            }
        }
    }

    public func redirectURL(_ path: String, method: String) async throws -> String? {
        try StoragePath.check(path)
        guard method == "GET" || method == "HEAD" else { return nil }
        return client.presignedURL(method: method, key: key(path), expires: configuration.redirectExpiry)
    }

    public func walk(_ path: String, _ visit: (FileInfo) async throws -> WalkAction) async throws {
        try StoragePath.check(path)
        let start = try await stat(path)
        guard start.isDirectory else { throw StorageError.pathNotFound(path) }
        _ = try await StorageTreeWalk.walk(path, children: { [self] directory in
            do { return try await entries(directory) } catch StorageError.pathNotFound { return [] }
        }, visit)
    }

    // MARK: helpers

    static func md5Base64(_ data: Data) -> String {
        var out = [UInt8](repeating: 0, count: 16)
        var len: UInt32 = 0
        data.withUnsafeBytes { b in _ = EVP_Digest(b.baseAddress, b.count, &out, &len, EVP_md5(), nil) }
        return Data(out).base64EncodedString()
    }

    /// `Last-Modified` (IMF-fixdate), read without trusting the server's text.
    static func httpDate(_ s: String?) -> Date? { s.flatMap(HTTPDate.parse) }

    /// A listing's `LastModified` (RFC 3339), read without trusting the server's text.
    static func isoDate(_ s: String?) -> Date? { s.flatMap(HTTPDate.parseRFC3339) }
}
