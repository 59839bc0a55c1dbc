import Foundation

/// `redis.*`: the Redis server behind `storage.cache.blobdescriptor: redis`, with
/// distribution 3's keys (`addrs`, `username`, `poolsize`, ...) and 2.8's (`addr`, `pool.*`).
/// Keys of go-redis's options that have no meaning for Wharf's client are accepted with one
/// warning each.
public struct RedisConfiguration: Equatable, Sendable {
    /// `addrs` (or 2.8's `addr`): `host:port` of the server; the first is used.
    public var addrs: [String] = []
    /// `username` (ACL user; empty: `default`).
    public var username: String? = nil
    /// `password`.
    public var password: String? = nil
    /// `db`: the database selected on each connection.
    public var db = 0
    /// `dialtimeout`: seconds to connect (default 5s).
    public var dialTimeout: Double = 5
    /// `readtimeout`: seconds to wait for a reply (default 3s).
    public var readTimeout: Double = 3
    /// `writetimeout`: seconds to send a command (default 3s).
    public var writeTimeout: Double = 3
    /// `poolsize` (2.8: `pool.maxactive`): connections at most (default 10).
    public var poolSize = 10
    /// `maxidleconns` (2.8: `pool.maxidle`): idle connections kept (default 4).
    public var maxIdleConns = 4
    /// `connmaxidletime` (2.8: `pool.idletimeout`): seconds an idle connection is kept (default 5m).
    public var connMaxIdleTime: Double = 300
    /// `tls.*`: TLS to the server when `tls.enabled`, or when a certificate or CA is given.
    public var tls: TLS? = nil

    /// Not configured.
    public init() {}

    /// `redis.tls.*`.
    public struct TLS: Equatable, Sendable {
        /// `certificate` and `key`: a client certificate (mutual TLS).
        public var certificate: String? = nil
        /// The client certificate's key.
        public var key: String? = nil
        /// `rootcas`: CA files that verify the server; empty: the system's.
        public var rootCAs: [String] = []
        /// No certificate, the system's CAs.
        public init() {}
    }

    /// True when an address is configured.
    public var isConfigured: Bool { !addrs.isEmpty }

    /// go-redis options Wharf's client has no use for: accepted with a warning.
    static let noEffectKeys = [
        "clientname", "protocol", "sentinelusername", "sentinelpassword", "maxretries", "minretrybackoff",
        "maxretrybackoff", "contexttimeoutenabled", "poolfifo", "pooltimeout", "minidleconns", "maxactiveconns",
        "connmaxlifetime", "maxredirects", "readonly", "routebylatency", "routerandomly", "mastername",
        "disableidentity", "identitysuffix", "unstableresp3",
    ]

    static let schema: ConfigSchema = .section([
        ("addrs", .list(.scalar)), ("addr", .scalar), ("username", .scalar), ("password", .scalar), ("db", .scalar),
        ("dialtimeout", .scalar), ("readtimeout", .scalar), ("writetimeout", .scalar),
        ("poolsize", .scalar), ("maxidleconns", .scalar), ("connmaxidletime", .scalar),
        ("pool", .section([("maxidle", .scalar), ("maxactive", .scalar), ("idletimeout", .scalar)])),
        ("tls", .section([("enabled", .scalar), ("certificate", .scalar), ("key", .scalar), ("rootcas", .list(.scalar)),
                          ("clientcas", .list(.scalar))])),
    ] + noEffectKeys.map { ($0, ConfigSchema.scalar) })

    /// Reads the `redis` node; adds a warning for each key that has no effect.
    static func decode(_ node: YAMLNode?, warnings: inout [String]) throws -> RedisConfiguration {
        var c = RedisConfiguration()
        guard let node, !node.isNull else { return c }
        func text(_ n: YAMLNode?, _ path: String) throws -> String? {
            guard let n, !n.isNull else { return nil }
            let s = try n.string(at: path)
            return s.isEmpty ? nil : s
        }
        func duration(_ n: YAMLNode?, _ path: String) throws -> Double? {
            guard let n, try text(n, path) != nil else { return nil }
            let d = try n.duration(at: path)
            guard d > 0 else { throw n.error("\(path): must be greater than zero") }
            return d
        }
        func count(_ n: YAMLNode?, _ path: String) throws -> Int? {
            guard let n, !n.isNull else { return nil }
            let v = try n.int(at: path)
            guard v > 0 else { throw n.error("\(path): must be greater than zero") }
            return v
        }
        c.addrs = try node["addrs"]?.stringList(at: "redis.addrs").filter { !$0.isEmpty } ?? []
        if let addr = try text(node["addr"], "redis.addr") { c.addrs.append(addr) }
        for (i, a) in c.addrs.enumerated() where hostPort(a) == nil {
            throw (node["addrs"] ?? node["addr"] ?? node).error("redis.addrs[\(i)]: expected host:port, found '\(a)'")
        }
        if c.addrs.count > 1 { warnings.append("redis.addrs: only the first address (\(c.addrs[0])) is used; Redis Cluster and Sentinel are not supported") }
        c.username = try text(node["username"], "redis.username")
        c.password = try text(node["password"], "redis.password")
        if let v = node["db"], !v.isNull {
            c.db = try v.int(at: "redis.db")
            guard c.db >= 0 else { throw v.error("redis.db: must not be negative") }
        }
        if let v = try duration(node["dialtimeout"], "redis.dialtimeout") { c.dialTimeout = v }
        if let v = try duration(node["readtimeout"], "redis.readtimeout") { c.readTimeout = v }
        if let v = try duration(node["writetimeout"], "redis.writetimeout") { c.writeTimeout = v }
        let pool = node["pool"]
        if let v = try count(pool?["maxactive"], "redis.pool.maxactive") { c.poolSize = v }
        if let v = try count(pool?["maxidle"], "redis.pool.maxidle") { c.maxIdleConns = v }
        if let v = try duration(pool?["idletimeout"], "redis.pool.idletimeout") { c.connMaxIdleTime = v }
        if let v = try count(node["poolsize"], "redis.poolsize") { c.poolSize = v }
        if let v = try count(node["maxidleconns"], "redis.maxidleconns") { c.maxIdleConns = v }
        if let v = try duration(node["connmaxidletime"], "redis.connmaxidletime") { c.connMaxIdleTime = v }
        if let tls = node["tls"], !tls.isNull {
            var t = TLS()
            t.certificate = try text(tls["certificate"], "redis.tls.certificate")
            t.key = try text(tls["key"], "redis.tls.key")
            // distribution 3's reference names the CA files `clientcas`; they verify the server too.
            t.rootCAs = try (tls["rootcas"]?.stringList(at: "redis.tls.rootcas") ?? [])
                + (tls["clientcas"]?.stringList(at: "redis.tls.clientcas") ?? [])
            if (t.certificate == nil) != (t.key == nil) { throw tls.error("redis.tls: certificate and key must both be set") }
            let enabled = try tls["enabled"].flatMap { $0.isNull ? nil : try $0.bool(at: "redis.tls.enabled") }
            if enabled ?? (t.certificate != nil || !t.rootCAs.isEmpty) { c.tls = t }
        }
        for key in noEffectKeys where node[key].map({ !$0.isNull }) == true {
            warnings.append("redis.\(key): accepted, no effect (Wharf's Redis client talks to one server and has no such option)")
        }
        return c
    }

    /// `host:port` split, nil when it is not one.
    public static func hostPort(_ addr: String) -> (host: String, port: Int)? {
        guard let colon = addr.lastIndex(of: ":"), let port = Int(addr[addr.index(after: colon)...]), port > 0, port < 65536 else { return nil }
        var host = String(addr[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "localhost" : host, port)
    }

    /// The printed `redis` section; the password is `*****` when `maskSecrets`.
    func printedNode(maskSecrets: Bool) -> YAMLNode? {
        guard self != RedisConfiguration() else { return nil }
        func scalar(_ s: String) -> YAMLNode { YAMLNode(.scalar(s, .doubleQuoted), line: 0, origin: "") }
        var e: [(String, YAMLNode)] = [("addrs", YAMLNode(.sequence(addrs.map(scalar)), line: 0, origin: ""))]
        if let username { e.append(("username", scalar(username))) }
        if let password { e.append(("password", scalar(maskSecrets ? ConfigurationPrinter.mask : password))) }
        e += [("db", scalar(String(db))), ("dialtimeout", scalar(ConfigValueParser.formatDuration(dialTimeout))),
              ("readtimeout", scalar(ConfigValueParser.formatDuration(readTimeout))),
              ("writetimeout", scalar(ConfigValueParser.formatDuration(writeTimeout))),
              ("poolsize", scalar(String(poolSize))), ("maxidleconns", scalar(String(maxIdleConns))),
              ("connmaxidletime", scalar(ConfigValueParser.formatDuration(connMaxIdleTime)))]
        if let tls {
            var t: [(String, YAMLNode)] = [("enabled", scalar("true"))]
            if let c = tls.certificate { t.append(("certificate", scalar(c))) }
            if let k = tls.key { t.append(("key", scalar(k))) }
            if !tls.rootCAs.isEmpty { t.append(("rootcas", YAMLNode(.sequence(tls.rootCAs.map(scalar)), line: 0, origin: ""))) }
            e.append(("tls", YAMLNode(.mapping(t.map { YAMLEntry(key: $0.0, keyLine: 0, value: $0.1) }), line: 0, origin: "")))
        }
        return YAMLNode(.mapping(e.map { YAMLEntry(key: $0.0, keyLine: 0, value: $0.1) }), line: 0, origin: "")
    }
}
