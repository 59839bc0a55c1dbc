import Foundation
import WharfConfig
import WharfCrypto
import WharfHTTP
import WharfRegistry

/// A ``Configuration`` mapped onto the settings of the pieces `serve` assembles: the HTTP
/// server, the logger and the registry. Kept apart from ``ServeCommand`` so the mapping
/// has one home.
struct RuntimeSettings {
    var server: HTTPServerConfiguration
    var logLevel: LogLevel
    var logFormat: LogFormat
    var logFields: [(String, String)]
    var registry: RegistryOptions
    /// True when no `http.secret` was configured and a random one was generated.
    var generatedSecret: Bool

    /// Maps `config`; `instanceID` is added to every log line as `instance.id`.
    init(_ config: Configuration, instanceID: String) throws {
        guard let address = HTTPServerConfiguration.parseAddress(config.http.addr) else {
            throw ConfigurationError("http.addr: invalid address '\(config.http.addr)'")
        }
        var limits = HTTPLimits()
        let l = config.http.limits
        if let v = l.maxHeaderBytes { limits.maxHeaderBytes = v }
        if let v = l.maxRequestLineBytes { limits.maxRequestLineBytes = v }
        if let v = l.maxHeaderCount { limits.maxHeaderCount = v }
        if let v = l.idleTimeout { limits.idleTimeout = v }
        if let v = l.headerTimeout { limits.headerTimeout = v }
        if let v = l.maxConnections { limits.maxConnections = v }
        if let v = l.maxBodySize { limits.defaultMaxBodySize = v }
        if let v = l.reservedConnections { limits.reservedConnections = v }
        if let v = l.ioTimeout { limits.ioTimeout = v }
        // ALPN offers h2 first unless http.http2.disabled; plain listeners then accept h2c prior knowledge.
        let alpn = config.http.http2Disabled ? ["http/1.1"] : ["h2", "http/1.1"]
        let tls = config.http.tls.map {
            var t = TLSConfiguration(certificatePath: $0.certificate, keyPath: $0.key, minimumVersion: $0.minimumTLS.rawValue,
                                     alpnProtocols: alpn)
            t.clientCAPaths = $0.clientCAs
            t.clientCertificateRequired = $0.clientCertificateRequired
            (t.cipherList, t.cipherSuites) = TLSCipherSuites.openSSLLists($0.cipherSuites)
            return t
        }
        server = HTTPServerConfiguration(host: address.host, port: address.port, tls: tls, limits: limits)
        server.http2.enabled = !config.http.http2Disabled
        if let v = config.http.http2MaxConcurrentStreams { server.http2.maxConcurrentStreams = v }
        if let v = config.http.http2FlowControlTimeout { server.http2.flowControlTimeout = v }

        logLevel = LogLevel(name: config.log.level) ?? .info
        logFormat = LogFormat(rawValue: config.log.formatter.rawValue) ?? .text
        logFields = config.log.fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + [("instance.id", instanceID)]

        var options = RegistryOptions()
        options.deleteEnabled = config.storage.deleteEnabled
        options.relativeURLs = config.http.relativeURLs
        options.host = config.http.host
        options.readOnly = config.storage.readOnly
        options.redirectDisabled = config.storage.redirectDisabled
        options.tagConcurrencyLimit = config.storage.tagConcurrencyLimit
        if let secret = config.http.secret {
            options.httpSecret = Array(secret.utf8)
            generatedSecret = false
        } else {
            options.httpSecret = SecureRandom.bytes(32)
            generatedSecret = true
        }
        if config.proxy.isEnabled {
            options.pullThrough = PullThroughOptions(upstreams: config.proxy.upstreams.map {
                PullThroughUpstream(name: $0.name, prefix: $0.prefix, namespace: $0.namespace, remoteURL: $0.remoteURL,
                                    username: $0.username, password: $0.password, ttl: $0.ttl)
            }, trustedCADirectory: config.proxy.trustedCA, expiryInterval: config.proxy.expiryInterval)
        }
        options.onlineGC = config.storage.gc.enabled
        if let delay = ProcessInfo.processInfo.environment["WHARF_TEST_MANIFEST_PUT_DELAY"].flatMap(Double.init), delay > 0 {
            options.testManifestPutDelay = delay
        }
        registry = options
    }
}
