import Foundation

/// The `storage.s3` section, spelled as distribution and the OpenShift operator spell it.
///
/// | parameter            | meaning                                                        |
/// |----------------------|----------------------------------------------------------------|
/// | `bucket`             | required                                                       |
/// | `region`             | signing region (default `us-east-1`)                           |
/// | `regionendpoint`     | custom endpoint (`http://127.0.0.1:9000`, `rgw.example`); default AWS |
/// | `virtualhostedstyle` | `true`: `bucket.host/key`; else path style `host/bucket/key`   |
/// | `secure`             | `false`: http for an endpoint given without scheme (default true) |
/// | `encrypt`, `keyid`   | server-side encryption (AES256, or aws:kms with `keyid`)       |
/// | `rootdirectory`      | key prefix (no leading slash in keys)                          |
/// | `chunksize`          | multipart part size, ≥ 5 MiB (default 10 MiB)                  |
/// | `storageclass`       | `STANDARD` (default), `REDUCED_REDUNDANCY`, ..., `NONE` to send none |
/// | `accesskey`, `secretkey` | credentials; else `REGISTRY_STORAGE_S3_ACCESSKEY`/`SECRETKEY`, else `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN` |
/// | `redirectexpiry`     | seconds a presigned blob URL stays valid (default 1200)        |
/// | `trustedca`          | PEM bundle for a private CA, trusted besides the system store (``HTTPClientTrust``)        |
public struct S3Configuration: Sendable, Equatable {
    /// The smallest part S3 accepts (5 MiB).
    public static let minimumChunkSize = 5 << 20
    /// distribution's default part size (10 MiB).
    public static let defaultChunkSize = 10 << 20

    /// `bucket`.
    public var bucket: String
    /// `region` (default `us-east-1`).
    public var region: String = "us-east-1"
    /// `http` or `https` (from `regionendpoint` or `secure`).
    public var scheme: String = "https"
    /// `host[:port]` without the bucket.
    public var endpointHost: String
    /// `virtualhostedstyle`.
    public var virtualHosted: Bool = false
    /// `encrypt`: server-side encryption.
    public var encrypt: Bool = false
    /// `keyid`: the KMS key for SSE-KMS.
    public var keyID: String? = nil
    /// `rootdirectory` without leading or trailing slashes.
    public var rootDirectory: String = ""
    /// `chunksize`: the multipart part size.
    public var chunkSize: Int = defaultChunkSize
    /// `storageclass`; nil sends no header.
    public var storageClass: String? = "STANDARD"
    /// From the parameters or the environment (see the table).
    public var credentials: S3Signer.Credentials
    /// `redirectexpiry`: seconds a presigned URL stays valid.
    public var redirectExpiry: Int = 1200
    /// `trustedca`: a PEM bundle path.
    public var trustedCA: String? = nil

    /// Reads the parameters (lower-case keys, string values) and the credential variables
    /// of `environment`.
    ///
    /// - Throws: ``StorageError/unsupported(_:)`` naming the bad parameter.
    public init(parameters p: [String: String], environment env: [String: String] = ProcessInfo.processInfo.environment) throws {
        func bool(_ key: String, _ fallback: Bool) throws -> Bool {
            guard let v = p[key]?.lowercased(), !v.isEmpty else { return fallback }
            guard let b = StorageDriverParameter.boolean(v) else {
                throw StorageError.unsupported("storage.s3.\(key): \(StorageDriverParameter.booleanExpected), found '\(v)'")
            }
            return b
        }
        guard let bucket = p["bucket"], !bucket.isEmpty else { throw StorageError.unsupported("storage.s3.bucket is required") }
        self.bucket = bucket
        if let r = p["region"], !r.isEmpty { region = r }
        let secure = try bool("secure", true)
        if let endpoint = p["regionendpoint"], !endpoint.isEmpty {
            var e = endpoint
            if e.hasPrefix("http://") { scheme = "http"; e.removeFirst(7) }
            else if e.hasPrefix("https://") { scheme = "https"; e.removeFirst(8) }
            else { scheme = secure ? "https" : "http" }
            while e.hasSuffix("/") { e.removeLast() }
            guard !e.isEmpty, !e.contains("/") else {
                throw StorageError.unsupported("storage.s3.regionendpoint: expected a host[:port] or URL, got \"\(endpoint)\"")
            }
            endpointHost = e
        } else {
            scheme = secure ? "https" : "http"
            endpointHost = region == "us-east-1" ? "s3.amazonaws.com" : "s3.\(region).amazonaws.com"
        }
        virtualHosted = try bool("virtualhostedstyle", false)
        encrypt = try bool("encrypt", false)
        if let k = p["keyid"], !k.isEmpty { keyID = k }
        rootDirectory = (p["rootdirectory"] ?? "").split(separator: "/").joined(separator: "/")
        if let c = p["chunksize"], !c.isEmpty {
            guard let n = Int(c), n >= Self.minimumChunkSize else {
                throw StorageError.unsupported("storage.s3.chunksize: expected an integer ≥ \(Self.minimumChunkSize) (5 MiB), got \"\(c)\"")
            }
            chunkSize = n
        }
        if let s = p["storageclass"], !s.isEmpty { storageClass = s.uppercased() == "NONE" ? nil : s.uppercased() }
        if let e = p["redirectexpiry"], !e.isEmpty {
            guard let n = Int(e), n > 0, n <= 7 * 24 * 3600 else {
                throw StorageError.unsupported("storage.s3.redirectexpiry: expected seconds in 1...604800, got \"\(e)\"")
            }
            redirectExpiry = n
        }
        if let ca = p["trustedca"], !ca.isEmpty { trustedCA = ca }
        func value(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
        if let a = p["accesskey"], !a.isEmpty, let s = p["secretkey"], !s.isEmpty {
            credentials = .init(accessKey: a, secretKey: s, sessionToken: value("AWS_SESSION_TOKEN"))
        } else if let a = value("REGISTRY_STORAGE_S3_ACCESSKEY"), let s = value("REGISTRY_STORAGE_S3_SECRETKEY") {
            credentials = .init(accessKey: a, secretKey: s)
        } else if let a = value("AWS_ACCESS_KEY_ID"), let s = value("AWS_SECRET_ACCESS_KEY") {
            credentials = .init(accessKey: a, secretKey: s, sessionToken: value("AWS_SESSION_TOKEN"))
        } else {
            throw StorageError.unsupported("storage.s3: no credentials (set accesskey/secretkey, REGISTRY_STORAGE_S3_ACCESSKEY/SECRETKEY or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)")
        }
    }
}
