import Foundation

/// The `storage.swift` section: distribution 2.8's parameters plus the OpenShift operator's.
///
/// | parameter            | meaning                                                              |
/// |----------------------|----------------------------------------------------------------------|
/// | `authurl`            | required: the identity endpoint (`…/auth/v1.0`, `…/v2.0`, `…/v3`)     |
/// | `username`, `password` | credentials (v1: the tempauth user `account:user` and key)         |
/// | `authversion`        | 1, 2 or 3 (default: read from `authurl`, else 3)                     |
/// | `tenant`, `tenantid` | the project to scope the token to (v2, v3; v1 prefixes the user)     |
/// | `domain`, `domainid` | the user's domain (v3)                                               |
/// | `tenantdomain`, `tenantdomainid` | the project's domain (v3; default: the user's)           |
/// | `trustid`            | scope the v3 token to a trust instead of a project                   |
/// | `region`/`regionname`| the catalog region of the object-store endpoint                      |
/// | `endpointtype`       | public (default), internal or admin                                  |
/// | `container`          | required; created at start when missing                              |
/// | `prefix`/`rootdirectory` | object name prefix (files under `<prefix>/files`, as distribution) |
/// | `chunksize`          | segment size of large objects (default 20 MiB)                       |
/// | `secretkey`          | the temp-URL key; set, blob GETs redirect to temp URLs               |
/// | `tempurlcontainerkey`| set the key on the container rather than the account                 |
/// | `tempurlmethods`     | methods temp URLs are made for (default GET and HEAD)                |
/// | `accesskey`          | distribution's, for HP Cloud temp URLs; accepted, unused             |
/// | `insecureskipverify` | do not verify the TLS certificates of the identity and storage hosts |
/// | `trustedca`          | PEM bundle of a private CA, trusted besides the system store         |
/// | `redirectexpiry`     | seconds a temp URL stays valid (default 1200)                        |
public struct SwiftConfiguration: Sendable, Equatable {
    /// distribution's default segment size (20 MiB).
    public static let defaultChunkSize = 20 << 20
    /// Endpoint interfaces of the catalog.
    public static let endpointTypes = ["public", "internal", "admin"]

    public var authURL: String
    public var authVersion: Int
    public var username = ""
    public var password = ""
    public var tenant: String?
    public var tenantID: String?
    public var domain: String?
    public var domainID: String?
    public var tenantDomain: String?
    public var tenantDomainID: String?
    public var trustID: String?
    public var region: String?
    /// `endpointtype`: public, internal or admin.
    public var endpointType = "public"
    public var container: String
    /// `prefix` (or `rootdirectory`) without leading or trailing slashes.
    public var prefix = ""
    public var chunkSize = defaultChunkSize
    /// `secretkey`: the temp-URL key (nil: no redirects).
    public var secretKey: String?
    /// `tempurlcontainerkey`.
    public var tempURLContainerKey = false
    /// `tempurlmethods`, upper-cased.
    public var tempURLMethods = ["GET", "HEAD"]
    public var insecureSkipVerify = false
    public var trustedCA: String?
    public var redirectExpiry = 1200

    /// Reads the parameters (lower-case keys).
    ///
    /// - Throws: ``StorageError/unsupported(_:)`` naming the bad or missing parameter.
    public init(parameters p: [String: String]) throws {
        func given(_ key: String) -> String? { p[key].flatMap { $0.isEmpty ? nil : $0 } }
        guard let container = given("container") else { throw StorageError.unsupported("storage.swift.container is required") }
        guard var url = given("authurl") else { throw StorageError.unsupported("storage.swift.authurl is required") }
        while url.hasSuffix("/") { url.removeLast() }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw StorageError.unsupported("storage.swift.authurl: expected an http:// or https:// URL, got \"\(url)\"")
        }
        self.container = container
        authURL = url
        if let v = given("authversion") {
            guard let n = Int(v), (1...3).contains(n) else {
                throw StorageError.unsupported("storage.swift.authversion: expected 1, 2 or 3, got \"\(v)\"")
            }
            authVersion = n
        } else {
            authVersion = Self.versionOf(url: url)
        }
        username = given("username") ?? ""
        password = given("password") ?? ""
        tenant = given("tenant")
        tenantID = given("tenantid")
        domain = given("domain")
        domainID = given("domainid")
        tenantDomain = given("tenantdomain")
        tenantDomainID = given("tenantdomainid")
        trustID = given("trustid")
        region = given("region") ?? given("regionname")
        if let e = given("endpointtype") {
            guard Self.endpointTypes.contains(e.lowercased()) else {
                throw StorageError.unsupported("storage.swift.endpointtype: expected public, internal or admin, got \"\(e)\"")
            }
            endpointType = e.lowercased()
        }
        prefix = (given("prefix") ?? p["rootdirectory"] ?? "").split(separator: "/").joined(separator: "/")
        if let c = given("chunksize") {
            guard let n = Int(c), n > 0 else {
                throw StorageError.unsupported("storage.swift.chunksize: expected a positive number of bytes, got \"\(c)\"")
            }
            chunkSize = n
        }
        secretKey = given("secretkey")
        tempURLContainerKey = given("tempurlcontainerkey").flatMap(StorageDriverParameter.boolean) ?? false
        if let m = given("tempurlmethods") {
            tempURLMethods = m.split(whereSeparator: { $0 == "," || $0 == " " }).map { $0.uppercased() }
        }
        insecureSkipVerify = given("insecureskipverify").flatMap(StorageDriverParameter.boolean) ?? false
        trustedCA = given("trustedca")
        if let e = given("redirectexpiry") {
            guard let n = Int(e), n > 0 else {
                throw StorageError.unsupported("storage.swift.redirectexpiry: expected seconds, got \"\(e)\"")
            }
            redirectExpiry = n
        }
    }

    /// The auth version an `authurl` names by its last path segment (`v1.0`, `v2.0`, `v3`); 3 otherwise.
    static func versionOf(url: String) -> Int {
        let last = url.split(separator: "/").last.map(String.init)?.lowercased() ?? ""
        if last.hasPrefix("v1") { return 1 }
        if last.hasPrefix("v2") { return 2 }
        return 3
    }
}
