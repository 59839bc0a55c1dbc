import Foundation
import WharfStorage

/// Writes a ``Configuration`` back as config.yml YAML: every effective value, defaults
/// included, so `wharf check-config` shows what the server will actually run with.
///
/// Secrets are masked as `*****`: `http.secret`, the driver parameters their driver's
/// registration declares secret, and any log field whose name contains `secret`, `password`, `token`, `credential` or `key` (e.g. S3
/// `accesskey`/`secretkey`, Azure `accountkey`), except names that are file paths
/// (`...file`, `...path`, `...directory`). `http.tls.key` is a path, so it is shown.
public enum ConfigurationPrinter {
    /// What masked values print as.
    public static let mask = "*****"

    /// True when a key with this name holds a secret value rather than a path to one.
    public static func isSecretKey(_ name: String) -> Bool {
        let n = name.lowercased()
        if n.hasSuffix("file") || n.hasSuffix("path") || n.hasSuffix("directory") { return false }
        return ["secret", "password", "token", "credential", "key"].contains { n.contains($0) }
    }

    /// The configuration as YAML; secrets masked unless `maskSecrets` is false.
    public static func yaml(_ c: Configuration, maskSecrets: Bool = true) -> String {
        YAMLWriter.write(node(c, maskSecrets: maskSecrets))
    }

    /// The configuration as a node tree, in the schema's key order.
    public static func node(_ c: Configuration, maskSecrets: Bool = true) -> YAMLNode {
        func secret(_ name: String, _ value: String) -> String {
            maskSecrets && isSecretKey(name) && !value.isEmpty ? mask : value
        }
        var root: [YAMLEntry] = []
        root.append(entry("version", scalar(c.version)))
        root.append(entry("log", map([
            entry("level", scalar(c.log.level)),
            entry("formatter", scalar(c.log.formatter.rawValue)),
            entry("accesslog", map([entry("disabled", scalar(String(c.log.accessLogDisabled)))])),
        ] + (c.log.fields.isEmpty ? [] : [entry("fields", map(c.log.fields.sorted { $0.key < $1.key }.map {
            entry($0.key, scalar(secret($0.key, $0.value)))
        }))]))))

        var http: [YAMLEntry] = [entry("addr", scalar(c.http.addr))]
        if let v = c.http.host { http.append(entry("host", scalar(v))) }
        if let v = c.http.prefix { http.append(entry("prefix", scalar(v))) }
        if let v = c.http.secret { http.append(entry("secret", scalar(maskSecrets ? mask : v))) }
        http.append(entry("relativeurls", scalar(String(c.http.relativeURLs))))
        http.append(entry("draintimeout", scalar(ConfigValueParser.formatDuration(c.http.drainTimeout))))
        if let tls = c.http.tls {
            http.append(entry("tls", map([
                entry("certificate", scalar(tls.certificate)),
                entry("key", scalar(tls.key)),
                entry("minimumtls", scalar(tls.minimumTLS.rawValue)),
            ] + (tls.clientCAs.isEmpty ? [] : [entry("clientcas", list(tls.clientCAs)), entry("clientauth", scalar(
                tls.clientCertificateRequired ? "require-and-verify-client-cert" : "verify-client-cert-if-given"))])
              + (tls.cipherSuites.isEmpty ? [] : [entry("ciphersuites", list(tls.cipherSuites))]))))
        }
        var http2 = [entry("disabled", scalar(String(c.http.http2Disabled)))]
        if let v = c.http.http2MaxConcurrentStreams { http2.append(entry("maxconcurrentstreams", scalar(String(v)))) }
        if let v = c.http.http2FlowControlTimeout { http2.append(entry("flowcontroltimeout", scalar(ConfigValueParser.formatDuration(v)))) }
        http.append(entry("http2", map(http2)))
        if !c.http.headers.isEmpty {
            http.append(entry("headers", map(c.http.headers.sorted { $0.key < $1.key }.map {
                entry($0.key, YAMLNode(.sequence($0.value.map(scalar)), line: 0, origin: ""))
            })))
        }
        var limits: [YAMLEntry] = []
        let l = c.http.limits
        if let v = l.maxHeaderBytes { limits.append(entry("maxheaderbytes", scalar(String(v)))) }
        if let v = l.maxRequestLineBytes { limits.append(entry("maxrequestlinebytes", scalar(String(v)))) }
        if let v = l.maxHeaderCount { limits.append(entry("maxheadercount", scalar(String(v)))) }
        if let v = l.idleTimeout { limits.append(entry("idletimeout", scalar(ConfigValueParser.formatDuration(v)))) }
        if let v = l.headerTimeout { limits.append(entry("headertimeout", scalar(ConfigValueParser.formatDuration(v)))) }
        if let v = l.maxConnections { limits.append(entry("maxconnections", scalar(String(v)))) }
        if let v = l.maxBodySize { limits.append(entry("maxbodysize", scalar(String(v)))) }
        if let v = l.reservedConnections { limits.append(entry("reservedconnections", scalar(String(v)))) }
        if let v = l.ioTimeout { limits.append(entry("iotimeout", scalar(ConfigValueParser.formatDuration(v)))) }
        if !limits.isEmpty { http.append(entry("limits", map(limits))) }
        if let d = c.http.debug {
            http.append(entry("debug", map([entry("addr", scalar(d.addr)), entry("prometheus", map([
                entry("enabled", scalar(String(d.prometheusEnabled))), entry("path", scalar(d.prometheusPath)),
            ]))])))
        }
        root.append(entry("http", map(http)))

        let s = c.storage
        // Only the chosen driver's own parameters, so the output always reads back.
        let registration = StorageDriverFactory.registration(named: s.driverName)
        let params = s.driverParameters.filter { registration?.parameter($0.key) != nil }
        func shown(_ name: String, _ value: String) -> YAMLNode {
            let isSecret = registration?.parameter(name)?.isSecret ?? true
            return scalar(maskSecrets && isSecret && !value.isEmpty ? mask : value)
        }
        // Dotted names (`credentials.type`) print as a nested section, as they are written.
        var driverEntries: [YAMLEntry] = []
        var nested: [String: [YAMLEntry]] = [:]
        for (name, value) in params.sorted(by: { $0.key < $1.key }) {
            if let dot = name.firstIndex(of: ".") {
                let head = String(name[..<dot])
                if nested[head] == nil { driverEntries.append(entry(head, map([]))) }
                nested[head, default: []].append(entry(String(name[name.index(after: dot)...]), shown(name, value)))
            } else {
                driverEntries.append(entry(name, shown(name, value)))
            }
        }
        driverEntries = driverEntries.map { e in nested[e.key].map { entry(e.key, map($0)) } ?? e }
        var storage: [YAMLEntry] = [entry(s.driverName, map(driverEntries))]
        storage.append(entry("delete", map([entry("enabled", scalar(String(s.deleteEnabled)))])))
        storage.append(entry("redirect", map([entry("disable", scalar(String(s.redirectDisabled)))])))
        storage.append(entry("maintenance", map([
            entry("readonly", map([entry("enabled", scalar(String(s.readOnly)))])),
            entry("uploadpurging", map([
                entry("enabled", scalar(String(s.uploadPurging.enabled))),
                entry("age", scalar(ConfigValueParser.formatDuration(s.uploadPurging.age))),
                entry("interval", scalar(ConfigValueParser.formatDuration(s.uploadPurging.interval))),
                entry("dryrun", scalar(String(s.uploadPurging.dryRun))),
            ])),
            entry("pruning", map([
                entry("enabled", scalar(String(s.pruning.enabled))),
                entry("schedule", scalar(s.pruning.schedule.description)),
                entry("suspend", scalar(String(s.pruning.suspend))),
                entry("keeptagrevisions", scalar(String(s.pruning.keepTagRevisions))),
                entry("keepyoungerthan", scalar(ConfigValueParser.formatDuration(s.pruning.keepYoungerThan))),
                entry("ignoreinvalidimagereferences", scalar(String(s.pruning.ignoreInvalidImageReferences))),
                entry("dryrun", scalar(String(s.pruning.dryRun))),
            ])),
            entry("gc", map([
                entry("enabled", scalar(String(s.gc.enabled))),
                entry("interval", scalar(ConfigValueParser.formatDuration(s.gc.interval))),
                entry("graceperiod", scalar(ConfigValueParser.formatDuration(s.gc.gracePeriod))),
                entry("deleteuntagged", scalar(String(s.gc.deleteUntagged))),
                entry("dryrun", scalar(String(s.gc.dryRun))),
                entry("sweepdelay", scalar(ConfigValueParser.formatDuration(s.gc.sweepDelay))),
                entry("leaseduration", scalar(ConfigValueParser.formatDuration(s.gc.leaseDuration))),
            ])),
        ])))
        if let v = s.blobDescriptorCache { storage.append(entry("cache", map([entry("blobdescriptor", scalar(v))]))) }
        storage.append(entry("tag", map([entry("concurrencylimit", scalar(String(s.tagConcurrencyLimit)))])))
        root.append(entry("storage", map(storage)))
        root.append(entry("openshift", map(c.operations.printedEntries(maskSecrets: maskSecrets))))
        if let auth = c.auth.printedNode(maskSecrets: maskSecrets) { root.append(entry("auth", auth)) }
        if let health = healthNode(c.health, maskSecrets: maskSecrets) { root.append(entry("health", health)) }
        if let proxy = c.proxy.printedNode(maskSecrets: maskSecrets) { root.append(entry("proxy", proxy)) }
        if let n = c.notifications.printedNode(maskSecrets: maskSecrets) { root.append(entry("notifications", n)) }
        if let r = c.redis.printedNode(maskSecrets: maskSecrets) { root.append(entry("redis", r)) }
        return map(root)
    }

    /// `health`, or nil when no check is configured. Header values of http checks are
    /// masked (they often carry `Authorization`).
    private static func healthNode(_ h: Configuration.Health, maskSecrets: Bool) -> YAMLNode? {
        func periodic(_ p: Configuration.Periodic, timeout: Bool) -> [YAMLEntry] {
            [entry("interval", scalar(ConfigValueParser.formatDuration(p.interval))), entry("threshold", scalar(String(p.threshold)))]
                + (timeout ? [entry("timeout", scalar(ConfigValueParser.formatDuration(p.timeout)))] : [])
        }
        func items(_ nodes: [YAMLNode]) -> YAMLNode { YAMLNode(.sequence(nodes), line: 0, origin: "") }
        var e: [YAMLEntry] = []
        if let s = h.storageDriver { e.append(entry("storagedriver", map([entry("enabled", scalar("true"))] + periodic(s, timeout: false)))) }
        if !h.files.isEmpty {
            e.append(entry("file", items(h.files.map {
                map([entry("file", scalar($0.file)), entry("interval", scalar(ConfigValueParser.formatDuration($0.periodic.interval)))])
            })))
        }
        if !h.http.isEmpty {
            e.append(entry("http", items(h.http.map { check in
                map([entry("uri", scalar(check.uri)), entry("statuscode", scalar(String(check.statusCode)))]
                    + (check.headers.isEmpty ? [] : [entry("headers", map(check.headers.sorted { $0.key < $1.key }.map {
                        entry($0.key, list($0.value.map { maskSecrets && !$0.isEmpty ? mask : $0 }))
                    }))]) + periodic(check.periodic, timeout: true))
            })))
        }
        if !h.tcp.isEmpty { e.append(entry("tcp", items(h.tcp.map { map([entry("addr", scalar($0.addr))] + periodic($0.periodic, timeout: true)) }))) }
        return e.isEmpty ? nil : map(e)
    }

    private static func list(_ values: [String]) -> YAMLNode { YAMLNode(.sequence(values.map(scalar)), line: 0, origin: "") }

    /// A string value (never null: the writer quotes it when it would read as null).
    private static func scalar(_ s: String) -> YAMLNode { YAMLNode(.scalar(s, .doubleQuoted), line: 0, origin: "") }
    private static func map(_ e: [YAMLEntry]) -> YAMLNode { YAMLNode(.mapping(e), line: 0, origin: "") }
    private static func entry(_ k: String, _ v: YAMLNode) -> YAMLEntry { YAMLEntry(key: k, keyLine: 0, value: v) }
}
