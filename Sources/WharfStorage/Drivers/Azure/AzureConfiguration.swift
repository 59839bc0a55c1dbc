import Foundation

/// The `storage.azure` section: distribution's parameters plus the OpenShift operator's.
///
/// | parameter       | meaning                                                              |
/// |-----------------|----------------------------------------------------------------------|
/// | `accountname`   | required: the storage account                                        |
/// | `accountkey`    | the account's base64 key (secret; `REGISTRY_STORAGE_AZURE_ACCOUNTKEY`); required with `shared_key` |
/// | `credentials.*` | `type` and the token credentials' parameters (see ``AzureCredentials``) |
/// | `container`     | required: the blob container                                         |
/// | `rootdirectory` | blob name prefix (no leading slash in names)                         |
/// | `realm`         | endpoint suffix (default `core.windows.net`)                         |
/// | `cloudname`     | `AzurePublicCloud`, `AzureUSGovernmentCloud`, `AzureChinaCloud`, `AzureGermanCloud`: sets the realm |
/// | `serviceurl`    | the whole endpoint: default `https://<account>.blob.<realm>`; path-style `http://127.0.0.1:10000/<account>` for emulators |
/// | `chunksize`     | block size of uploads (default 10 MiB; bounds memory per upload)     |
/// | `redirectexpiry`| seconds a redirect SAS URL stays valid (default 1200)                |
/// | `trustedca`     | PEM bundle trusted besides the system store                          |
public struct AzureConfiguration: Sendable, Equatable {
    /// The realm of each cloud name (lower-cased keys).
    public static let realms: [String: String] = [
        "azurepubliccloud": "core.windows.net",
        "azureusgovernmentcloud": "core.usgovcloudapi.net",
        "azurechinacloud": "core.chinacloudapi.cn",
        "azuregermancloud": "core.cloudapi.de",
    ]
    /// distribution's default block size.
    public static let defaultChunkSize = 10 << 20
    /// The largest block the service takes (4000 MiB).
    public static let maximumChunkSize = 4000 << 20

    public var accountName: String
    /// The base64 account key (never printed); nil with token credentials and no key.
    public var accountKey: String?
    /// `credentials.type` and what it needs.
    public var credentials: AzureCredentials
    public var container: String
    /// `rootdirectory` without leading or trailing slashes.
    public var rootDirectory: String = ""
    /// `http` or `https`.
    public var scheme: String
    /// `host[:port]` of the service.
    public var endpointHost: String
    /// The path before the container: empty for the public endpoints, `/<account>` path-style.
    public var basePath: String
    public var chunkSize: Int = defaultChunkSize
    public var redirectExpiry: Int = 1200
    public var trustedCA: String? = nil

    /// Reads the parameters (lower-case keys, string values; `credentials.type` and its
    /// siblings flattened) and, for token credentials, the `AZURE_*` variables of `environment`.
    ///
    /// - Throws: ``StorageError/unsupported(_:)`` naming the bad parameter (never the key).
    public init(parameters p: [String: String], environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ k: String) -> String? { p[k].flatMap { $0.isEmpty ? nil : $0 } }
        guard let account = value("accountname") else { throw StorageError.unsupported("storage.azure.accountname is required") }
        guard let container = value("container") else { throw StorageError.unsupported("storage.azure.container is required") }
        credentials = try AzureCredentials(parameters: p, environment: environment)
        accountName = account
        accountKey = value("accountkey")
        self.container = container
        rootDirectory = (p["rootdirectory"] ?? "").split(separator: "/").joined(separator: "/")
        var realm = value("realm") ?? "core.windows.net"
        if let cloud = value("cloudname") {
            guard let r = Self.realms[cloud.lowercased()] else {
                throw StorageError.unsupported("storage.azure.cloudname: unknown cloud \"\(cloud)\"")
            }
            if value("realm") == nil { realm = r }
        }
        var url = value("serviceurl") ?? "https://\(account).blob.\(realm)"
        if url.hasPrefix("http://") { scheme = "http"; url.removeFirst(7) }
        else if url.hasPrefix("https://") { scheme = "https"; url.removeFirst(8) }
        else { throw StorageError.unsupported("storage.azure.serviceurl: expected an http(s) URL, got \"\(url)\"") }
        while url.hasSuffix("/") { url.removeLast() }
        if let slash = url.firstIndex(of: "/") {
            endpointHost = String(url[..<slash])
            basePath = String(url[slash...])
        } else {
            endpointHost = url
            basePath = ""
        }
        guard !endpointHost.isEmpty else { throw StorageError.unsupported("storage.azure.serviceurl: no host") }
        if let c = value("chunksize") {
            guard let n = Int(c), n >= 1, n <= Self.maximumChunkSize else {
                throw StorageError.unsupported("storage.azure.chunksize: expected bytes in 1...\(Self.maximumChunkSize), got \"\(c)\"")
            }
            chunkSize = n
        }
        if let e = value("redirectexpiry") {
            guard let n = Int(e), n > 0, n <= 7 * 24 * 3600 else {
                throw StorageError.unsupported("storage.azure.redirectexpiry: expected seconds in 1...604800, got \"\(e)\"")
            }
            redirectExpiry = n
        }
        trustedCA = value("trustedca")
    }
}
