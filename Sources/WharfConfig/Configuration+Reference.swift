import Foundation

extension Configuration {
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
            guard let debug = root["http"]?["debug"], !debug.isNull else { return }
            guard let addrNode = debug["addr"], let addr = try optionalString(addrNode, "http.debug.addr") else {
                if debug["prometheus"].map({ !$0.isNull }) == true {
                    warnings.append("http.debug.prometheus: no effect without http.debug.addr (the debug listener serves it)")
                }
                return
            }
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
