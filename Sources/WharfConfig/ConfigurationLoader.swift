import Foundation
import WharfStorage

/// A configuration and the warnings found while loading it (ignored variables,
/// deprecated keys), which the caller logs.
public struct LoadedConfiguration: Equatable, Sendable {
    /// The effective configuration.
    public var configuration: Configuration
    /// Human-readable warnings, one per problem.
    public var warnings: [String]
}

/// A problem that is not about one place in a document (unreadable file, too large).
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

extension Configuration {
    /// Largest config file read (1 MiB): configs are a few KiB; anything bigger is a mistake.
    public static let maxFileSize = 1 << 20

    /// Loads `file` (nil: defaults only), then applies the `REGISTRY_*` variables of
    /// `environment`. Pass `ProcessInfo.processInfo.environment` in production and a
    /// dictionary in tests.
    public static func load(file: String?, environment: [String: String]) throws -> LoadedConfiguration {
        guard let file else {
            return try parse(Data(), origin: "defaults", environment: environment)
        }
        let data = try ConfigurationFile.read(file, kind: "configuration file", maxSize: maxFileSize)
        return try parse(data, origin: file, environment: environment)
    }

    /// Parses config text; `origin` names it in errors.
    public static func parse(_ data: Data, origin: String, environment: [String: String] = [:]) throws -> LoadedConfiguration {
        var root = try YAMLReader.parse(data, origin: origin)
        if !root.isNull && root.mapping == nil {
            throw root.error("expected a mapping at the top level, found \(root.kindName)")
        }
        let warnings = try EnvironmentOverrides.apply(environment, to: &root)
        var decoded = try decode(root)
        decoded.warnings = warnings + decoded.warnings
        return decoded
    }

    /// Checks a config tree against the schema and reads it into a configuration. Each
    /// section is read even when an earlier one failed, so every error is reported at once.
    public static func decode(_ root: YAMLNode) throws -> LoadedConfiguration {
        var errors: [YAMLError] = []
        var warnings: [String] = []
        ConfigSchema.root.validate(root, path: "", errors: &errors, warnings: &warnings)
        var config = Configuration()

        ConfigurationErrors.collect(into: &errors, at: root) {
            if let v = try optionalString(root["version"], "version") { config.version = v }
        }
        ConfigurationErrors.collect(into: &errors, at: root) { try decodeLog(root, into: &config.log, warnings: &warnings) }
        if let http = root["http"] { decodeHTTP(http, into: &config.http, errors: &errors) }
        if let storage = root["storage"] {
            ConfigurationErrors.collect(into: &errors, at: root) { try decodeStorage(storage, into: &config.storage) }
        }
        // openshift.metrics, openshift.requests
        ConfigurationErrors.collect(into: &errors, at: root) { config.operations = try OperationsConfiguration.decode(root["openshift"]) }
        if let auth = root["auth"] { ConfigurationErrors.collect(into: &errors, at: root) { try decodeAuth(auth, into: &config.auth, warnings: &warnings) } }
        // health.*, http.debug, client certificates, openshift.version/auth (Configuration+Reference.swift)
        decodeReference(root, into: &config, errors: &errors, warnings: &warnings)
        ConfigurationErrors.collect(into: &errors, at: root) { config.proxy = try ProxyConfiguration.decode(root["proxy"]) }
        ConfigurationErrors.collect(into: &errors, at: root) { config.notifications = try NotificationsConfiguration.decode(root["notifications"]) }
        ConfigurationErrors.collect(into: &errors, at: root) { config.redis = try RedisConfiguration.decode(root["redis"], warnings: &warnings) }
        if config.storage.blobDescriptorCache == "redis" && !config.redis.isConfigured {
            errors.append(root["storage"]?["cache"]?["blobdescriptor"]?.error("storage.cache.blobdescriptor: redis needs redis.addrs (or redis.addr)")
                          ?? root.error("storage.cache.blobdescriptor: redis needs redis.addrs"))
        }

        try ConfigurationErrors.throwIfAny(errors)
        return LoadedConfiguration(configuration: config, warnings: warnings)
    }

    private static func decodeLog(_ root: YAMLNode, into l: inout Log, warnings: inout [String]) throws {
        let log = root["log"]
        if let deprecated = try optionalString(root["loglevel"], "loglevel") {
            warnings.append("loglevel is deprecated, use log.level")
            if try optionalString(log?["level"], "log.level") == nil {
                l.level = try logLevel(deprecated, root["loglevel"]!, "loglevel")
            }
        }
        if let node = log?["level"], let v = try optionalString(node, "log.level") {
            l.level = try logLevel(v, node, "log.level")
        }
        if let node = log?["formatter"], let v = try optionalString(node, "log.formatter") {
            guard let f = LogFormatter(rawValue: v.lowercased()) else {
                throw node.error("log.formatter: unknown formatter '\(v)' (expected text, json or logstash)")
            }
            l.formatter = f
        }
        if let fields = log?["fields"] {
            for e in try fields.entries(at: "log.fields") { l.fields[e.key] = try e.value.string(at: "log.fields.\(e.key)") }
        }
    }

    // MARK: Sections

    /// Reads `http`, adding every problem to `errors` (each setting is checked even when
    /// another one failed).
    private static func decodeHTTP(_ http: YAMLNode, into h: inout HTTP, errors: inout [YAMLError]) {
        func check(_ node: YAMLNode, _ body: () throws -> Void) { ConfigurationErrors.collect(into: &errors, at: node, body) }
        check(http) {
            if let node = http["addr"], let v = try optionalString(node, "http.addr") {
                guard ConfigValueParser.listenAddress(v) != nil else {
                    throw node.error("http.addr: invalid address '\(v)' (expected host:port, e.g. :5000)")
                }
                h.addr = v
            }
        }
        check(http) {
            if let node = http["host"], let v = try optionalString(node, "http.host") {
                guard let url = URL(string: v), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                      let host = url.host, !host.isEmpty else {
                    throw node.error("http.host: expected an absolute http(s) URL, found '\(v)'")
                }
                h.host = v
            }
        }
        check(http) {
            if let node = http["prefix"], let v = try optionalString(node, "http.prefix") {
                guard v.hasPrefix("/") else { throw node.error("http.prefix: must start with '/'") }
                h.prefix = v
            }
        }
        check(http) { h.secret = try optionalString(http["secret"], "http.secret") }
        check(http) { if let node = http["relativeurls"], !node.isNull { h.relativeURLs = try node.bool(at: "http.relativeurls") } }
        check(http) { if let v = try optionalDuration(http["draintimeout"], "http.draintimeout") { h.drainTimeout = v } }
        check(http) {
            if let tls = http["tls"] {
                let cert = try optionalString(tls["certificate"], "http.tls.certificate")
                let key = try optionalString(tls["key"], "http.tls.key")
                var minimum = TLSVersion.tls12
                if let node = tls["minimumtls"], let v = try optionalString(node, "http.tls.minimumtls") {
                    guard let version = TLSVersion(rawValue: v.lowercased()) else {
                        throw node.error("http.tls.minimumtls: unsupported version '\(v)' (expected tls1.2 or tls1.3)")
                    }
                    minimum = version
                }
                switch (cert, key) {
                case let (c?, k?): h.tls = TLS(certificate: c, key: k, minimumTLS: minimum)
                case (nil, nil):
                    if tls["minimumtls"].map({ !$0.isNull }) == true {
                        throw tls.error("http.tls: minimumtls is set but certificate and key are not")
                    }
                default:
                    throw tls.error("http.tls: certificate and key must both be set")
                }
            }
        }
        check(http) { if let node = http["http2"]?["disabled"], !node.isNull { h.http2Disabled = try node.bool(at: "http.http2.disabled") } }
        check(http) { h.http2MaxConcurrentStreams = try optionalCount(http["http2"]?["maxconcurrentstreams"], "http.http2.maxconcurrentstreams") }
        check(http) { h.http2FlowControlTimeout = try optionalDuration(http["http2"]?["flowcontroltimeout"], "http.http2.flowcontroltimeout", positive: true) }
        check(http) {
            if let headers = http["headers"] {
                for e in try headers.entries(at: "http.headers") {
                    h.headers[e.key] = try e.value.stringList(at: "http.headers.\(e.key)")
                }
            }
        }
        if let limits = http["limits"] {
            check(limits) { h.limits.maxHeaderBytes = try optionalSize(limits["maxheaderbytes"], "http.limits.maxheaderbytes").map { try positiveInt($0, limits["maxheaderbytes"]!, "http.limits.maxheaderbytes") } }
            check(limits) { h.limits.maxRequestLineBytes = try optionalSize(limits["maxrequestlinebytes"], "http.limits.maxrequestlinebytes").map { try positiveInt($0, limits["maxrequestlinebytes"]!, "http.limits.maxrequestlinebytes") } }
            check(limits) { h.limits.maxHeaderCount = try optionalCount(limits["maxheadercount"], "http.limits.maxheadercount") }
            check(limits) { h.limits.idleTimeout = try optionalDuration(limits["idletimeout"], "http.limits.idletimeout", positive: true) }
            check(limits) { h.limits.headerTimeout = try optionalDuration(limits["headertimeout"], "http.limits.headertimeout", positive: true) }
            check(limits) { h.limits.maxConnections = try optionalCount(limits["maxconnections"], "http.limits.maxconnections") }
            check(limits) { h.limits.maxBodySize = try optionalSize(limits["maxbodysize"], "http.limits.maxbodysize") }
            check(limits) { h.limits.reservedConnections = try optionalCount(limits["reservedconnections"], "http.limits.reservedconnections", allowZero: true) }
            check(limits) { h.limits.ioTimeout = try optionalDuration(limits["iotimeout"], "http.limits.iotimeout", positive: true) }
        }
    }

    /// The defaults a driver section always records: those of its required parameters
    /// (the filesystem's `rootdirectory`); the others apply when the driver is built.
    private static func recordedDefaults(_ registration: StorageDriverRegistration) -> [String: String] {
        var values: [String: String] = [:]
        for p in registration.parameters where p.required { values[p.name] = p.defaultValue }
        return values
    }

    private static func decodeStorage(_ storage: YAMLNode, into s: inout Storage) throws {
        let entries = try storage.entries(at: "storage")
        let drivers = entries.filter { e in StorageDriverFactory.registrations.contains { $0.name == e.key } }
        if drivers.count > 1 {
            throw YAMLError(origin: drivers[1].value.origin, line: drivers[1].keyLine,
                            message: "storage: more than one storage driver configured (\(drivers.map(\.key).joined(separator: ", "))); choose one")
        }
        if let chosen = drivers.first, let registration = StorageDriverFactory.registration(named: chosen.key) {
            var params = recordedDefaults(registration)
            let ignored = ConfigSchema.ignoredDriverKeys(chosen.key)
            let structured = ConfigSchema.structuredDriverKeys(chosen.key)
            for e in try chosen.value.entries(at: "storage.\(chosen.key)") where !e.value.isNull && !ignored.contains(e.key) {
                if structured[e.key] != nil, let fields = e.value.mapping {
                    // distribution's mapping form, passed on as the JSON the driver reads.
                    var object: [String: String] = [:]
                    for f in fields { object[f.key] = try f.value.string(at: "storage.\(chosen.key).\(e.key).\(f.key)") }
                    let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                    params[e.key] = String(decoding: json, as: UTF8.self)
                    continue
                }
                // A nested section (`credentials: {type: ...}`) gives dotted parameter names.
                if e.value.mapping != nil, registration.parameters.contains(where: { $0.name.hasPrefix(e.key + ".") }) {
                    for sub in try e.value.entries(at: "storage.\(chosen.key).\(e.key)") where !sub.value.isNull {
                        params["\(e.key).\(sub.key)"] = try sub.value.string(at: "storage.\(chosen.key).\(e.key).\(sub.key)")
                    }
                    continue
                }
                params[e.key] = try e.value.string(at: "storage.\(chosen.key).\(e.key)")
            }
            do {
                _ = try registration.validate(params)
            } catch {
                let node = error.parameter.flatMap { name in
                    name.split(separator: ".").reduce(Optional(chosen.value)) { $0?[String($1)] }
                }
                throw (node ?? chosen.value).error(error.description)
            }
            s.driverName = registration.name
            s.driverParameters = params
        } else {
            s.driverParameters = recordedDefaults(FilesystemDriver.registration)
        }
        if let node = storage["delete"]?["enabled"], !node.isNull { s.deleteEnabled = try node.bool(at: "storage.delete.enabled") }
        if let node = storage["redirect"]?["disable"], !node.isNull { s.redirectDisabled = try node.bool(at: "storage.redirect.disable") }
        let maintenance = storage["maintenance"]
        if let node = maintenance?["readonly"]?["enabled"], !node.isNull { s.readOnly = try node.bool(at: "storage.maintenance.readonly.enabled") }
        if let purging = maintenance?["uploadpurging"] {
            let p = "storage.maintenance.uploadpurging"
            if let node = purging["enabled"], !node.isNull { s.uploadPurging.enabled = try node.bool(at: "\(p).enabled") }
            if let node = purging["dryrun"], !node.isNull { s.uploadPurging.dryRun = try node.bool(at: "\(p).dryrun") }
            if let v = try optionalDuration(purging["age"], "\(p).age") { s.uploadPurging.age = v }
            if let v = try optionalDuration(purging["interval"], "\(p).interval", positive: true) { s.uploadPurging.interval = v }
        }
        if let pruning = maintenance?["pruning"] {
            let p = "storage.maintenance.pruning"
            if let node = pruning["enabled"], !node.isNull { s.pruning.enabled = try node.bool(at: "\(p).enabled") }
            if let node = pruning["suspend"], !node.isNull { s.pruning.suspend = try node.bool(at: "\(p).suspend") }
            if let node = pruning["dryrun"], !node.isNull { s.pruning.dryRun = try node.bool(at: "\(p).dryrun") }
            if let node = pruning["ignoreinvalidimagereferences"], !node.isNull {
                s.pruning.ignoreInvalidImageReferences = try node.bool(at: "\(p).ignoreinvalidimagereferences")
            }
            if let node = pruning["schedule"], let text = try optionalString(node, "\(p).schedule") {
                do { s.pruning.schedule = try CronSchedule(parsing: text) } catch { throw node.error("\(p).schedule: \(error)") }
            }
            if let node = pruning["keeptagrevisions"], !node.isNull {
                s.pruning.keepTagRevisions = try node.int(at: "\(p).keeptagrevisions")
            }
            if let v = try optionalDuration(pruning["keepyoungerthan"], "\(p).keepyoungerthan") { s.pruning.keepYoungerThan = v }
        }
        if let gc = maintenance?["gc"] {
            let p = "storage.maintenance.gc"
            if let node = gc["enabled"], !node.isNull { s.gc.enabled = try node.bool(at: "\(p).enabled") }
            if let node = gc["deleteuntagged"], !node.isNull { s.gc.deleteUntagged = try node.bool(at: "\(p).deleteuntagged") }
            if let node = gc["dryrun"], !node.isNull { s.gc.dryRun = try node.bool(at: "\(p).dryrun") }
            if let v = try optionalDuration(gc["interval"], "\(p).interval", positive: true) { s.gc.interval = v }
            if let v = try optionalDuration(gc["graceperiod"], "\(p).graceperiod") { s.gc.gracePeriod = v }
            if let v = try optionalDuration(gc["sweepdelay"], "\(p).sweepdelay", positive: true) { s.gc.sweepDelay = v }
            if let v = try optionalDuration(gc["leaseduration"], "\(p).leaseduration", positive: true) { s.gc.leaseDuration = v }
        }
        if let node = storage["cache"]?["blobdescriptor"], let v = try optionalString(node, "storage.cache.blobdescriptor") {
            guard v == "inmemory" || v == "redis" else {
                throw node.error("storage.cache.blobdescriptor: unsupported cache '\(v)' (supported: inmemory, redis)")
            }
            s.blobDescriptorCache = v
        }
    }

    // MARK: Typed values

    private static let logLevels: Set<String> = ["error", "fatal", "panic", "warn", "warning", "info", "normal", "debug", "trace", "traceall"]

    /// Every level `log.level` accepts (any case): distribution's names, then OpenShift's.
    public static let acceptedLogLevels =
        "one of error, fatal, panic, warn, warning, info, debug, trace, Normal, Debug, Trace, TraceAll; case does not matter"

    private static func logLevel(_ v: String, _ node: YAMLNode, _ path: String) throws -> String {
        guard logLevels.contains(v.lowercased()) else {
            throw node.error("\(path): unknown level '\(v)' (expected \(acceptedLogLevels))")
        }
        return v.lowercased()
    }

    /// nil when absent or null; an empty string counts as absent.
    static func optionalString(_ node: YAMLNode?, _ path: String) throws -> String? {
        guard let node, !node.isNull else { return nil }
        let s = try node.string(at: path)
        return s.isEmpty ? nil : s
    }

    static func optionalDuration(_ node: YAMLNode?, _ path: String, positive: Bool = false) throws -> Double? {
        guard let node, try optionalString(node, path) != nil else { return nil }
        let v = try node.duration(at: path)
        if positive && v <= 0 { throw node.error("\(path): must be greater than zero") }
        return v
    }

    private static func optionalSize(_ node: YAMLNode?, _ path: String) throws -> Int64? {
        guard let node, try optionalString(node, path) != nil else { return nil }
        return try node.byteSize(at: path)
    }

    static func optionalCount(_ node: YAMLNode?, _ path: String, allowZero: Bool = false) throws -> Int? {
        guard let node, !node.isNull else { return nil }
        let v = Int64(try node.int(at: path))
        if allowZero && v == 0 { return 0 }
        return try positiveInt(v, node, path)
    }

    static func positiveInt(_ v: Int64, _ node: YAMLNode, _ path: String) throws -> Int {
        guard v > 0, v <= Int64(Int32.max) else { throw node.error("\(path): must be between 1 and \(Int32.max)") }
        return Int(v)
    }
}
