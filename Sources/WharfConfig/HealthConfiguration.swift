import Foundation

extension Configuration {
    /// `health.*`: distribution's periodic checks. Their results feed `/healthz` (503 while
    /// one fails) and `/debug/health` (every check with its last error).
    public struct Health: Equatable, Sendable {
        /// `health.storagedriver`; nil when not enabled (then `/healthz` asks the driver on each probe).
        public var storageDriver: Periodic? = nil
        /// `health.file[]`: unhealthy while the file exists (an operator's "take me out of rotation").
        public var files: [FileCheck] = []
        /// `health.http[]`: unhealthy when the URI does not answer with the status.
        public var http: [HTTPCheck] = []
        /// `health.tcp[]`: unhealthy when the address does not accept a connection.
        public var tcp: [TCPCheck] = []
        /// No checks.
        public init() {}
    }

    /// How often a check runs and how many failures in a row make it unhealthy.
    public struct Periodic: Equatable, Sendable {
        /// `interval` in seconds (default 10s).
        public var interval: Double = 10
        /// `threshold`: failures in a row before the check reports (0 or 1: the first).
        public var threshold: Int = 0
        /// `timeout` in seconds for one attempt (http and tcp; default 1s).
        public var timeout: Double = 1
        /// The defaults.
        public init() {}
    }

    /// `health.file[]` entry.
    public struct FileCheck: Equatable, Sendable {
        public var file: String
        public var periodic = Periodic()
    }

    /// `health.http[]` entry.
    public struct HTTPCheck: Equatable, Sendable {
        public var uri: String
        /// Request headers, name → values.
        public var headers: [String: [String]] = [:]
        /// Expected status (default 200).
        public var statusCode: Int = 200
        public var periodic = Periodic()
    }

    /// `health.tcp[]` entry.
    public struct TCPCheck: Equatable, Sendable {
        /// `host:port`.
        public var addr: String
        public var periodic = Periodic()
    }

    /// `http.debug.*`.
    public struct Debug: Equatable, Sendable {
        /// `addr`: where the debug listener binds (`localhost:5001`).
        public var addr: String
        /// `prometheus.enabled`: serve the metrics there, without auth.
        public var prometheusEnabled: Bool = false
        /// `prometheus.path` (default `/metrics`).
        public var prometheusPath: String = "/metrics"
        public init(addr: String) { self.addr = addr }
    }
}

extension Configuration {
    /// Reads `health.*`.
    static func decodeHealth(_ node: YAMLNode?) throws -> Health {
        var h = Health()
        guard let node, !node.isNull else { return h }
        func periodic(_ n: YAMLNode, _ path: String) throws -> Periodic {
            var p = Periodic()
            if let v = try optionalDuration(n["interval"], "\(path).interval", positive: true) { p.interval = v }
            if let v = try optionalDuration(n["timeout"], "\(path).timeout", positive: true) { p.timeout = v }
            if let v = n["threshold"], !v.isNull {
                p.threshold = try v.int(at: "\(path).threshold")
                if p.threshold < 0 { throw v.error("\(path).threshold: must not be negative") }
            }
            return p
        }
        func items(_ key: String) -> [(YAMLNode, String)] {
            (node[key]?.sequence ?? []).enumerated().map { ($0.element, "health.\(key)[\($0.offset)]") }
        }
        if let s = node["storagedriver"], !s.isNull {
            let enabled = try s["enabled"].map { $0.isNull ? false : try $0.bool(at: "health.storagedriver.enabled") } ?? false
            if enabled { h.storageDriver = try periodic(s, "health.storagedriver") }
        }
        for (item, path) in items("file") {
            guard let file = try optionalString(item["file"], "\(path).file") else { throw item.error("\(path).file: required") }
            h.files.append(FileCheck(file: file, periodic: try periodic(item, path)))
        }
        for (item, path) in items("http") {
            guard let uri = try optionalString(item["uri"], "\(path).uri") else { throw item.error("\(path).uri: required") }
            guard let url = URL(string: uri), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw item["uri"]!.error("\(path).uri: expected an http(s) URL, found '\(uri)'")
            }
            var check = HTTPCheck(uri: uri, periodic: try periodic(item, path))
            if let headers = item["headers"] {
                for e in try headers.entries(at: "\(path).headers") { check.headers[e.key] = try e.value.stringList(at: "\(path).headers.\(e.key)") }
            }
            if let v = item["statuscode"], !v.isNull { check.statusCode = try v.int(at: "\(path).statuscode") }
            h.http.append(check)
        }
        for (item, path) in items("tcp") {
            guard let addr = try optionalString(item["addr"], "\(path).addr") else { throw item.error("\(path).addr: required") }
            guard ConfigValueParser.listenAddress(addr) != nil, !addr.hasPrefix(":") else {
                throw item["addr"]!.error("\(path).addr: expected host:port, found '\(addr)'")
            }
            h.tcp.append(TCPCheck(addr: addr, periodic: try periodic(item, path)))
        }
        return h
    }

    /// Reads the keys of ConfigSchema+Reference.swift that Wharf honours: health, the debug
    /// server, log.accesslog, client certificates and cipher suites, storage.tag,
    /// `openshift.version` and `openshift.auth` (the same settings as `auth.openshift`).
    static func decodeReference(_ root: YAMLNode, into c: inout Configuration, errors: inout [YAMLError], warnings: inout [String]) {
        func check(_ body: () throws -> Void) { ConfigurationErrors.collect(into: &errors, at: root, body) }
        check { c.health = try decodeHealth(root["health"]) }
        check {
            if let n = root["log"]?["accesslog"]?["disabled"], !n.isNull { c.log.accessLogDisabled = try n.bool(at: "log.accesslog.disabled") }
        }
        check {
            guard let debug = root["http"]?["debug"], let addrNode = debug["addr"],
                  let addr = try optionalString(addrNode, "http.debug.addr") else { return }
            guard ConfigValueParser.listenAddress(addr) != nil else {
                throw addrNode.error("http.debug.addr: invalid address '\(addr)' (expected host:port, e.g. localhost:5001)")
            }
            var d = Debug(addr: addr)
            if let p = debug["prometheus"] {
                if let n = p["enabled"], !n.isNull { d.prometheusEnabled = try n.bool(at: "http.debug.prometheus.enabled") }
                if let n = p["path"], let v = try optionalString(n, "http.debug.prometheus.path") {
                    guard v.hasPrefix("/") else { throw n.error("http.debug.prometheus.path: must start with '/'") }
                    d.prometheusPath = v
                }
            }
            c.http.debug = d
        }
        if let prefix = c.http.prefix, prefix != "/" {
            warnings.append("http.prefix: accepted, no effect: the registry is served at the root of its address; have the route or proxy strip '\(prefix)'")
        }
        check {
            guard let n = root["http"]?["net"], let v = try optionalString(n, "http.net") else { return }
            guard v == "tcp" else { throw n.error("http.net: '\(v)' is not supported (Wharf listens on tcp only)") }
        }
        check {
            guard let tls = root["http"]?["tls"] else { return }
            let cas = try tls["clientcas"].map { $0.isNull ? [] : try $0.stringList(at: "http.tls.clientcas") } ?? []
            let suites = try tls["ciphersuites"].map { $0.isNull ? [] : try $0.stringList(at: "http.tls.ciphersuites") } ?? []
            var required = true
            if let n = tls["clientauth"], let v = try optionalString(n, "http.tls.clientauth") {
                // distribution 3's two values.
                guard v == "require-and-verify-client-cert" || v == "verify-client-cert-if-given" else {
                    throw n.error("http.tls.clientauth: unsupported '\(v)' (expected require-and-verify-client-cert or verify-client-cert-if-given)")
                }
                required = v == "require-and-verify-client-cert"
            }
            if tls["letsencrypt"].map({ !$0.isNull }) == true && c.http.tls == nil {
                throw tls.error("http.tls.letsencrypt: not supported: ACME is not built in, and without certificate and key the registry would serve plain HTTP; give http.tls.certificate and http.tls.key")
            }
            for s in suites where !TLSCipherSuites.known.keys.contains(s) {
                throw tls["ciphersuites"]!.error("http.tls.ciphersuites: unknown suite '\(s)' (expected names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)")
            }
            if (!cas.isEmpty || !suites.isEmpty) && c.http.tls == nil {
                throw tls.error("http.tls: clientcas and ciphersuites need certificate and key")
            }
            c.http.tls?.clientCAs = cas
            c.http.tls?.clientCertificateRequired = required
            c.http.tls?.cipherSuites = suites
        }
        if c.operations.metricsEnabled && c.operations.metricsSecret == nil && c.auth.openshift == nil && c.auth.htpasswd == nil {
            warnings.append("openshift.metrics.enabled: no openshift.metrics.secret and no auth: nobody can read /extensions/v2/metrics (set openshift.metrics.secret, enable auth.openshift for the metrics role, or use http.debug.prometheus)")
        }
        check {
            if let n = root["storage"]?["tag"]?["concurrencylimit"], let v = try optionalCount(n, "storage.tag.concurrencylimit") {
                c.storage.tagConcurrencyLimit = v
            }
        }
        check {
            guard let o = root["openshift"], !o.isNull else { return }
            if let n = o["version"], let v = try optionalString(n, "openshift.version") {
                guard v == "1.0" || v == "1" else { throw n.error("openshift.version: unsupported version '\(v)' (expected 1.0)") }
            }
            guard let a = o["auth"], !a.isNull else { return }
            // The same settings as auth.openshift.realm/tokenrealm; auth.openshift's own win.
            if c.auth.openshift == nil {
                warnings.append("openshift.auth: no effect without auth.openshift (auth is off)")
                return
            }
            if root["auth"]?["openshift"]?["realm"] == nil, let v = try optionalString(a["realm"], "openshift.auth.realm") {
                c.auth.openshift?.realm = v
            }
            if root["auth"]?["openshift"]?["tokenrealm"] == nil, let n = a["tokenrealm"], let v = try optionalString(n, "openshift.auth.tokenrealm") {
                guard let url = URL(string: v), url.host != nil, url.path.isEmpty || url.path == "/" else {
                    throw n.error("openshift.auth.tokenrealm: expected scheme://host[:port], found '\(v)'")
                }
                c.auth.openshift?.tokenRealm = v
            }
        }
    }
}
