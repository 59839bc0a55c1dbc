import Foundation
import WharfStorage

/// The registry's settings: distribution's config.yml schema (lower-case keys) plus Wharf's
/// own `http.limits`, with distribution's defaults. Plain values only, so every layer can
/// read it; the `wharf` CLI maps it onto the server, logger, driver and registry.
///
/// ```swift
/// let loaded = try Configuration.load(file: "config.yml", environment: ProcessInfo.processInfo.environment)
/// loaded.configuration.http.addr          // ":5000"
/// loaded.warnings                         // e.g. unknown REGISTRY_* variables
/// ```
public struct Configuration: Equatable, Sendable {
    /// `version` (distribution writes `0.1`).
    public var version: String = "0.1"
    /// `log.*`.
    public var log = Log()
    /// `http.*`.
    public var http = HTTP()
    /// `storage.*`.
    public var storage = Storage()
    /// `openshift.metrics.*` and `openshift.requests.*`.
    public var operations = OperationsConfiguration()
    /// `auth.*` (see AuthConfiguration.swift).
    public var auth = Auth()
    /// `health.*` (see HealthConfiguration.swift).
    public var health = Health()
    /// `proxy.*`: pull-through upstreams (see ProxyConfiguration.swift).
    public var proxy = ProxyConfiguration()
    /// `notifications.*` (see NotificationsConfiguration.swift).
    public var notifications = NotificationsConfiguration()
    /// `redis.*` (see RedisConfiguration.swift).
    public var redis = RedisConfiguration()

    /// The defaults: listen on `:5000`, filesystem storage in `./data`, info logs.
    public init() {}

    /// `log.*`: verbosity, line format and fields added to every line.
    public struct Log: Equatable, Sendable {
        /// Level name (`error`, `warn`, `info`, `debug`, `trace`, also OpenShift's `Normal`...).
        public var level: String = "info"
        /// `text` (logrus key=value) or `json`.
        public var formatter: LogFormatter = .text
        /// Extra fields written on every line.
        public var fields: [String: String] = [:]
        /// `log.accesslog.disabled`: no "response completed" line per request.
        public var accessLogDisabled: Bool = false
        /// Creates the defaults.
        public init() {}
    }

    /// `log.formatter` values.
    public enum LogFormatter: String, Equatable, Sendable, CaseIterable { case text, json, logstash }

    /// `http.*`: the listener.
    public struct HTTP: Equatable, Sendable {
        /// `host:port` to listen on (`:5000`, `0.0.0.0:5000`, `[::1]:5000`).
        public var addr: String = ":5000"
        /// External base URL used in absolute `Location` headers, e.g. `https://registry.example.com`.
        public var host: String? = nil
        /// Path prefix the registry is served under (accepted and stored).
        public var prefix: String? = nil
        /// Key that signs upload state; replicas must share it.
        public var secret: String? = nil
        /// `Location` headers relative instead of absolute.
        public var relativeURLs: Bool = false
        /// Seconds in-flight requests get to finish on SIGTERM.
        public var drainTimeout: Double = 30
        /// TLS when configured.
        public var tls: TLS? = nil
        /// `http.http2.disabled`.
        public var http2Disabled: Bool = false
        /// `http.http2.maxconcurrentstreams`: SETTINGS_MAX_CONCURRENT_STREAMS; nil means the server's default (100).
        public var http2MaxConcurrentStreams: Int? = nil
        /// `http.http2.flowcontroltimeout`: seconds a stream may wait on the client's window; nil: 30 s.
        public var http2FlowControlTimeout: Double? = nil
        /// `http.headers`: added to every response, name → values.
        public var headers: [String: [String]] = [:]
        /// `http.debug.*`: the second listener for probes and scrapers; nil when no `addr`.
        public var debug: Debug? = nil
        /// Wharf's own server limits; nil means the server's default.
        public var limits = Limits()
        /// Creates the defaults.
        public init() {}
    }

    /// `http.tls.*`.
    public struct TLS: Equatable, Sendable {
        /// PEM certificate chain file.
        public var certificate: String
        /// PEM private key file (a path, so never masked).
        public var key: String
        /// Lowest protocol version.
        public var minimumTLS: TLSVersion = .tls12
        /// `clientcas`: PEM files of the CAs whose client certificates are accepted; when
        /// set, a client certificate is required (mutual TLS).
        public var clientCAs: [String] = []
        /// `clientauth`: with `clientcas`, true (`require-and-verify-client-cert`, the
        /// default) refuses clients without a certificate; false (`verify-client-cert-if-given`)
        /// admits them and still refuses a certificate the CAs did not issue.
        public var clientCertificateRequired: Bool = true
        /// `ciphersuites`: TLS 1.2 suites allowed, by their IANA names (`TLS_ECDHE_..._GCM_SHA256`); empty: OpenSSL's defaults.
        public var cipherSuites: [String] = []
        /// Creates a TLS section.
        public init(certificate: String, key: String, minimumTLS: TLSVersion = .tls12) {
            self.certificate = certificate
            self.key = key
            self.minimumTLS = minimumTLS
        }
    }

    /// `http.tls.minimumtls` values Wharf accepts (TLS 1.0 and 1.1 are refused).
    public enum TLSVersion: String, Equatable, Sendable, CaseIterable {
        case tls12 = "tls1.2"
        case tls13 = "tls1.3"
    }

    /// `http.limits.*`: each nil value keeps the server's default.
    public struct Limits: Equatable, Sendable {
        /// `maxheaderbytes`: request line plus header fields, in bytes.
        public var maxHeaderBytes: Int? = nil
        /// `maxrequestlinebytes`: the request line alone, in bytes (414 past it).
        public var maxRequestLineBytes: Int? = nil
        /// `maxheadercount`: number of header fields.
        public var maxHeaderCount: Int? = nil
        /// `idletimeout`: seconds a keep-alive connection may sit idle.
        public var idleTimeout: Double? = nil
        /// `headertimeout`: seconds a request head may take to arrive.
        public var headerTimeout: Double? = nil
        /// `maxconnections`: open connections at most.
        public var maxConnections: Int? = nil
        /// `maxbodysize`: request body cap in bytes for routes that set none.
        public var maxBodySize: Int64? = nil
        /// `reservedconnections`: slots past `maxconnections` for when every connection is busy (0 allowed).
        public var reservedConnections: Int? = nil
        /// `iotimeout`: seconds a body read, response write or flow-control wait may make no progress.
        public var ioTimeout: Double? = nil
        /// Creates an empty set of overrides.
        public init() {}
    }

    /// `storage.*`: the driver and the registry's storage behaviour.
    public struct Storage: Equatable, Sendable {
        /// The chosen driver's name: a registered driver (see `StorageDriverFactory`).
        public var driverName: String = FilesystemDriver.registration.name
        /// The chosen driver's parameters as written (strings), plus the defaults of its
        /// required ones; validated by its registration, which builds the driver from them.
        public var driverParameters: [String: String] = ["rootdirectory": FilesystemDriver.defaultRootDirectory]
        /// `storage.delete.enabled`.
        public var deleteEnabled: Bool = false
        /// `storage.redirect.disable`.
        public var redirectDisabled: Bool = false
        /// `storage.maintenance.readonly.enabled`.
        public var readOnly: Bool = false
        /// `storage.maintenance.uploadpurging.*`.
        public var uploadPurging = UploadPurging()
        /// `storage.maintenance.pruning.*`.
        public var pruning = Pruning()
        /// `storage.maintenance.gc.*`.
        public var gc = OnlineGC()
        /// `storage.cache.blobdescriptor` (`inmemory` or `redis`), nil when unset.
        public var blobDescriptorCache: String? = nil
        /// `storage.tag.concurrencylimit`: tag lookups run at once per request (default 8, distribution's).
        public var tagConcurrencyLimit: Int = 8
        /// Creates the defaults.
        public init() {}
    }

    /// `storage.maintenance.uploadpurging.*` with distribution's defaults.
    public struct UploadPurging: Equatable, Sendable {
        /// Abandoned uploads are deleted.
        public var enabled: Bool = true
        /// Uploads older than this many seconds are abandoned (default 168h).
        public var age: Double = 168 * 3600
        /// Seconds between purges (default 24h).
        public var interval: Double = 24 * 3600
        /// Only log what would be deleted.
        public var dryRun: Bool = false
        /// Creates the defaults.
        public init() {}
    }
}

extension Configuration {
    /// `storage.maintenance.pruning.*`: scheduled pruning of old tag revisions with the
    /// OpenShift image pruner's settings and defaults.
    public struct Pruning: Equatable, Sendable {
        /// Prune on ``schedule`` (off by default: deleting revisions is the operator's choice).
        public var enabled: Bool = false
        /// When to prune (default every midnight, UTC).
        public var schedule: CronSchedule = try! CronSchedule(parsing: "0 0 * * *")
        /// Skip the scheduled runs while true.
        public var suspend: Bool = false
        /// Newest revisions of every tag kept.
        public var keepTagRevisions: Int = 3
        /// Revisions younger than this many seconds are kept (default 60m).
        public var keepYoungerThan: Double = 3600
        /// A repository with manifests or tags that cannot be read is skipped instead of
        /// failing the run.
        public var ignoreInvalidImageReferences: Bool = true
        /// Only log what would be pruned.
        public var dryRun: Bool = false
        /// Creates the defaults.
        public init() {}
    }
}

extension Configuration {
    /// `storage.maintenance.gc.*`: online garbage collection inside `serve`.
    public struct OnlineGC: Equatable, Sendable {
        /// Collect while serving (off by default).
        public var enabled: Bool = false
        /// Seconds between passes (default 1h).
        public var interval: Double = 3600
        /// Blobs and revisions written less than this many seconds ago are kept (default 1h).
        public var gracePeriod: Double = 3600
        /// Also remove manifest revisions no tag reaches.
        public var deleteUntagged: Bool = false
        /// Only log and count what would be deleted.
        public var dryRun: Bool = false
        /// Seconds between publishing a plan and re-marking (default 30s).
        public var sweepDelay: Double = 30
        /// Seconds the collector's lease lasts without renewal (default 60s).
        public var leaseDuration: Double = 60
        /// Creates the defaults.
        public init() {}
    }
}

/// The storage driver chosen in `storage:`, as a value to compare and match on; derived
/// from ``Configuration/Storage/driverName`` and its parameters, so a new driver needs no
/// case here (it is ``named(_:)``).
public enum StorageDriverConfiguration: Equatable, Sendable {
    /// `storage.filesystem`: files under `rootdirectory`.
    case filesystem(rootDirectory: String)
    /// `storage.inmemory`: nothing persists (tests, demos).
    case inMemory
    /// Any other registered driver; its parameters are in `Storage.driverParameters`.
    case named(String)

    /// `storage.s3`.
    public static let s3 = StorageDriverConfiguration.named("s3")

    /// The section name (`filesystem`, `inmemory`, `s3`).
    public var name: String {
        switch self {
        case .filesystem: return "filesystem"
        case .inMemory: return "inmemory"
        case .named(let name): return name
        }
    }
}

extension Configuration.Storage {
    /// The chosen driver as a ``StorageDriverConfiguration``; setting it selects the driver
    /// (and, for the filesystem, its root).
    public var driver: StorageDriverConfiguration {
        get {
            switch driverName {
            case "filesystem": return .filesystem(rootDirectory: driverParameters["rootdirectory"] ?? FilesystemDriver.defaultRootDirectory)
            case "inmemory": return .inMemory
            default: return .named(driverName)
            }
        }
        set {
            driverName = newValue.name
            if case .filesystem(let root) = newValue { driverParameters["rootdirectory"] = root }
        }
    }
}
