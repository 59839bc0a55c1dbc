import Foundation

/// The `proxy` section: pull-through caching of upstream registries.
///
/// distribution's single form (`proxy.remoteurl`, `username`, `password`, `ttl`; variables
/// `REGISTRY_PROXY_REMOTEURL`, ...) mirrors one upstream for every repository. Wharf's
/// `proxy.upstreams` binds several upstreams, each to a repository prefix and optionally a
/// namespace chosen by `?ns=`. `proxy.trustedca` names a directory of per-host CA files
/// (`host` or `host..port`, as OpenShift's `additionalTrustedCA` config map is mounted).
public struct ProxyConfiguration: Equatable, Sendable {
    /// `proxy.trustedca`: directory of PEM files named `<host>` or `<host>..<port>`.
    public var trustedCA: String? = nil
    /// Every upstream; the single form is one upstream with an empty prefix.
    public var upstreams: [Upstream] = []
    /// `proxy.expiryinterval`: seconds between sweeps removing cached tags past their ttl;
    /// nil: half the shortest ttl (1s to 1h); 0: tags never expire (only revalidated).
    public var expiryInterval: Double? = nil

    /// No pull-through.
    public init() {}

    /// True when at least one upstream is configured.
    public var isEnabled: Bool { !upstreams.isEmpty }

    /// distribution's default `proxy.ttl`: 168h.
    public static let defaultTTL: Double = 168 * 3600

    /// One upstream registry.
    public struct Upstream: Equatable, Sendable {
        /// `name`: how logs and metrics call it (`registry` label).
        public var name: String
        /// `prefix`: the repository prefix it serves (`hub` serves `hub/...`); empty: every repository.
        public var prefix: String
        /// `namespace`: the registry host `?ns=` selects it by (e.g. `docker.io`).
        public var namespace: String?
        /// `remoteurl`: `https://host[:port]`.
        public var remoteURL: String
        /// `username` (or the content of `usernamefile`).
        public var username: String?
        /// `password` (or the content of `passwordfile`).
        public var password: String?
        /// `ttl`: how long a tag is served before it is revalidated upstream, in seconds.
        public var ttl: Double

        /// An upstream with distribution's default ttl.
        public init(name: String, prefix: String, namespace: String? = nil, remoteURL: String,
                    username: String? = nil, password: String? = nil, ttl: Double = ProxyConfiguration.defaultTTL) {
            self.name = name
            self.prefix = prefix
            self.namespace = namespace
            self.remoteURL = remoteURL
            self.username = username
            self.password = password
            self.ttl = ttl
        }
    }

    static let upstreamKeys: [(String, ConfigSchema)] = [
        ("name", .scalar), ("prefix", .scalar), ("namespace", .scalar), ("remoteurl", .scalar),
        ("username", .scalar), ("password", .scalar), ("usernamefile", .scalar), ("passwordfile", .scalar), ("ttl", .scalar),
    ]

    /// The keys under `proxy`.
    static let schemaKeys: [(String, ConfigSchema)] = [
        ("remoteurl", .scalar), ("username", .scalar), ("password", .scalar), ("ttl", .scalar),
        ("usernamefile", .scalar), ("passwordfile", .scalar), ("trustedca", .scalar), ("expiryinterval", .scalar),
        ("upstreams", .list(.section(upstreamKeys))),
    ]

    /// Reads the `proxy` node.
    static func decode(_ proxy: YAMLNode?) throws -> ProxyConfiguration {
        var c = ProxyConfiguration()
        guard let proxy, !proxy.isNull else { return c }
        c.trustedCA = try string(proxy["trustedca"], "proxy.trustedca")
        if let node = proxy["expiryinterval"], !node.isNull {
            let interval = try node.duration(at: "proxy.expiryinterval")
            if interval < 0 { throw node.error("proxy.expiryinterval: must not be negative") }
            c.expiryInterval = interval
        }
        if try string(proxy["remoteurl"], "proxy.remoteurl") != nil {
            c.upstreams.append(try upstream(proxy, path: "proxy", name: "default", prefix: ""))
        }
        if let list = proxy["upstreams"], !list.isNull {
            guard let items = list.sequence else { throw list.error("proxy.upstreams: expected a sequence of mappings") }
            for (i, item) in items.enumerated() {
                let path = "proxy.upstreams[\(i)]"
                guard let prefix = try string(item["prefix"], "\(path).prefix"), !prefix.isEmpty else {
                    throw item.error("\(path).prefix: required (the repository prefix this upstream serves)")
                }
                let trimmed = prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                let name = try string(item["name"], "\(path).name") ?? trimmed
                c.upstreams.append(try upstream(item, path: path, name: name, prefix: trimmed))
            }
        }
        var seen = Set<String>()
        for u in c.upstreams where !seen.insert(u.prefix).inserted {
            throw proxy.error("proxy: two upstreams serve the prefix '\(u.prefix)'")
        }
        if c.upstreams.count > 1, c.upstreams.contains(where: { $0.prefix.isEmpty }) {
            throw proxy.error("proxy.remoteurl mirrors every repository: it cannot be combined with proxy.upstreams")
        }
        return c
    }

    private static func upstream(_ node: YAMLNode, path: String, name: String, prefix: String) throws -> Upstream {
        guard let url = try string(node["remoteurl"], "\(path).remoteurl"),
              let parts = URLComponents(string: url), ["http", "https"].contains(parts.scheme?.lowercased() ?? ""),
              parts.host?.isEmpty == false else {
            throw node.error("\(path).remoteurl: expected an http(s) URL of the upstream registry")
        }
        var u = Upstream(name: name, prefix: prefix, remoteURL: url.hasSuffix("/") ? String(url.dropLast()) : url)
        u.namespace = try string(node["namespace"], "\(path).namespace")
        u.username = try string(node["username"], "\(path).username")
        u.password = try string(node["password"], "\(path).password")
        if let file = try string(node["usernamefile"], "\(path).usernamefile") { u.username = try secret(file, node, "\(path).usernamefile") }
        if let file = try string(node["passwordfile"], "\(path).passwordfile") { u.password = try secret(file, node, "\(path).passwordfile") }
        if let t = node["ttl"], !t.isNull {
            u.ttl = try t.duration(at: "\(path).ttl")
            if u.ttl < 0 { throw t.error("\(path).ttl: must not be negative") }
        }
        return u
    }

    /// A mounted secret's content, without the trailing newline.
    private static func secret(_ file: String, _ node: YAMLNode, _ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw node.error("\(path): cannot read \(file)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    private static func string(_ node: YAMLNode?, _ path: String) throws -> String? {
        guard let node, !node.isNull else { return nil }
        let s = try node.string(at: path)
        return s.isEmpty ? nil : s
    }
}

extension ProxyConfiguration {
    /// The printed `proxy` section (passwords masked when `maskSecrets`), or nil when off.
    func printedNode(maskSecrets: Bool) -> YAMLNode? {
        guard isEnabled else { return nil }
        func scalar(_ s: String) -> YAMLNode { YAMLNode(.scalar(s, .doubleQuoted), line: 0, origin: "") }
        func map(_ e: [(String, YAMLNode)]) -> YAMLNode {
            YAMLNode(.mapping(e.map { YAMLEntry(key: $0.0, keyLine: 0, value: $0.1) }), line: 0, origin: "")
        }
        func fields(_ u: Upstream) -> [(String, YAMLNode)] {
            var e: [(String, YAMLNode)] = [("remoteurl", scalar(u.remoteURL))]
            if let v = u.username { e.append(("username", scalar(v))) }
            if let v = u.password { e.append(("password", scalar(maskSecrets ? ConfigurationPrinter.mask : v))) }
            e.append(("ttl", scalar(ConfigValueParser.formatDuration(u.ttl))))
            return e
        }
        var entries: [(String, YAMLNode)] = []
        if let ca = trustedCA { entries.append(("trustedca", scalar(ca))) }
        if let i = expiryInterval { entries.append(("expiryinterval", scalar(ConfigValueParser.formatDuration(i)))) }
        if upstreams.count == 1, upstreams[0].prefix.isEmpty {
            entries += fields(upstreams[0])
        } else {
            entries.append(("upstreams", YAMLNode(.sequence(upstreams.map { u in
                var e: [(String, YAMLNode)] = [("name", scalar(u.name)), ("prefix", scalar(u.prefix))]
                if let ns = u.namespace { e.append(("namespace", scalar(ns))) }
                return map(e + fields(u))
            }), line: 0, origin: "")))
        }
        return map(entries)
    }
}
