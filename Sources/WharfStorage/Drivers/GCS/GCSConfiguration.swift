import Foundation

/// The `storage.gcs` section: distribution's parameters plus the OpenShift operator's.
///
/// | parameter       | meaning                                                                  |
/// |-----------------|--------------------------------------------------------------------------|
/// | `bucket`        | required                                                                 |
/// | `rootdirectory` | object name prefix (no leading slash in names)                           |
/// | `chunksize`     | resumable upload chunk, a multiple of 256 KiB (default 5 MiB)            |
/// | `keyfile`       | path of a service-account JSON key (`REGISTRY_STORAGE_GCS_KEYFILE` may hold the path or the JSON) |
/// | `credentials`   | the same JSON inline                                                     |
/// | `projectid`, `region` | the operator's; informational                                      |
/// | `keyid`         | a Cloud KMS key name, sent as `kmsKeyName` when objects are created      |
/// | `endpoint`      | base URL for emulators and private endpoints (default `https://storage.googleapis.com`) |
/// | `redirectexpiry`| seconds a signed blob URL stays valid (default 1200)                     |
/// | `trustedca`     | PEM bundle of a private CA, trusted besides the system store             |
public struct GCSConfiguration: Sendable, Equatable {
    /// GCS accepts resumable chunks in multiples of 256 KiB.
    public static let chunkQuantum = 256 << 10
    /// distribution's default chunk (5 MiB).
    public static let defaultChunkSize = 5 << 20
    /// The public JSON API.
    public static let defaultEndpoint = "https://storage.googleapis.com"

    /// `bucket`.
    public var bucket: String
    /// `rootdirectory` without leading or trailing slashes.
    public var rootDirectory = ""
    /// `chunksize`.
    public var chunkSize = defaultChunkSize
    /// `endpoint` without a trailing slash.
    public var endpoint = defaultEndpoint
    /// True when `endpoint` was given (an emulator or private endpoint).
    public var customEndpoint = false
    /// `keyid`: the KMS key objects are created with.
    public var kmsKeyName: String?
    /// `projectid`.
    public var projectID: String?
    /// `region`.
    public var region: String?
    /// The service-account key JSON (from `credentials`, `keyfile`, the variable, or
    /// `GOOGLE_APPLICATION_CREDENTIALS`), and where it came from (named in errors, never the key).
    public var keyJSON: Data?
    /// Where ``keyJSON`` was read from: a path, or `storage.gcs.credentials`.
    public var keySource: String?
    /// The GCE metadata server (`host[:port]`) tokens come from when there is no key:
    /// `GCE_METADATA_HOST`, else `metadata.google.internal` unless an `endpoint` is set
    /// (an endpoint without credentials sends no Authorization). Nil: no tokens.
    public var metadataHost: String?
    /// `redirectexpiry`.
    public var redirectExpiry = 1200
    /// `trustedca`.
    public var trustedCA: String?

    /// Reads the parameters (lower-case keys), and `GOOGLE_APPLICATION_CREDENTIALS` and
    /// `GCE_METADATA_HOST` of `environment`.
    ///
    /// - Throws: ``StorageError/unsupported(_:)`` naming the bad parameter or the unreadable key file.
    public init(parameters p: [String: String], environment env: [String: String] = ProcessInfo.processInfo.environment) throws {
        func given(_ key: String) -> String? { p[key].flatMap { $0.isEmpty ? nil : $0 } }
        guard let bucket = given("bucket") else { throw StorageError.unsupported("storage.gcs.bucket is required") }
        self.bucket = bucket
        rootDirectory = (p["rootdirectory"] ?? "").split(separator: "/").joined(separator: "/")
        if let c = given("chunksize") {
            guard let n = Int(c), n > 0, n % Self.chunkQuantum == 0 else {
                throw StorageError.unsupported("storage.gcs.chunksize: expected a multiple of 262144 (256 KiB), got \"\(c)\"")
            }
            chunkSize = n
        }
        if var e = given("endpoint") {
            while e.hasSuffix("/") { e.removeLast() }
            guard e.hasPrefix("http://") || e.hasPrefix("https://") else {
                throw StorageError.unsupported("storage.gcs.endpoint: expected an http:// or https:// URL, got \"\(e)\"")
            }
            endpoint = e
            customEndpoint = true
        }
        kmsKeyName = given("keyid")
        projectID = given("projectid")
        region = given("region")
        trustedCA = given("trustedca")
        if let e = given("redirectexpiry") {
            guard let n = Int(e), n > 0, n <= 7 * 24 * 3600 else {
                throw StorageError.unsupported("storage.gcs.redirectexpiry: expected seconds in 1...604800, got \"\(e)\"")
            }
            redirectExpiry = n
        }
        if let inline = given("credentials") {
            keyJSON = Data(inline.utf8)
            keySource = "storage.gcs.credentials"
        } else if let file = given("keyfile") ?? env["GOOGLE_APPLICATION_CREDENTIALS"].flatMap({ $0.isEmpty ? nil : $0 }) {
            // The operator's secret holds either a path or the JSON itself.
            if file.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
                keyJSON = Data(file.utf8)
                keySource = "REGISTRY_STORAGE_GCS_KEYFILE"
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw StorageError.unsupported("storage.gcs.keyfile: cannot read the key file \(file)")
                }
                keyJSON = data
                keySource = file
            }
        }
        if keyJSON == nil {
            if let host = env["GCE_METADATA_HOST"], !host.isEmpty { metadataHost = host }
            else if !customEndpoint { metadataHost = GCSMetadataCredentials.defaultHost }
        }
    }
}
