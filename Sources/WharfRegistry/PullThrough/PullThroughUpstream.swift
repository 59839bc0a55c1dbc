import Foundation

/// One upstream registry the pull-through cache serves (mapped from `proxy` in config.yml).
public struct PullThroughUpstream: Sendable, Equatable {
    /// How logs and metrics name it.
    public var name: String
    /// The local repository prefix it serves, without slashes; empty: every repository.
    public var prefix: String
    /// The registry host `?ns=` selects it by, if any.
    public var namespace: String?
    /// `scheme://host[:port]` of the upstream, without a trailing slash.
    public var remoteURL: String
    /// Basic credentials, also sent to the upstream's token endpoint.
    public var username: String?
    /// See ``username``.
    public var password: String?
    /// Seconds a tag is served from the cache before it is revalidated upstream.
    public var ttl: Double

    /// An upstream.
    public init(name: String, prefix: String, namespace: String? = nil, remoteURL: String,
                username: String? = nil, password: String? = nil, ttl: Double) {
        self.name = name
        self.prefix = prefix
        self.namespace = namespace
        self.remoteURL = remoteURL
        self.username = username
        self.password = password
        self.ttl = ttl
    }

    /// The upstream repository for local `name`, or nil when this upstream does not serve it.
    func remoteName(forLocal name: String) -> String? {
        if prefix.isEmpty { return name }
        guard name.hasPrefix(prefix + "/") else { return nil }
        return String(name.dropFirst(prefix.count + 1))
    }
}

/// The pull-through settings of a registry: its upstreams and whom their TLS trusts.
public struct PullThroughOptions: Sendable {
    /// Every upstream, matched by the longest prefix.
    public var upstreams: [PullThroughUpstream]
    /// Directory of per-host PEM CA files (`host` or `host..port`), on top of the system CAs.
    public var trustedCADirectory: String?
    /// Seconds between sweeps of expired cached tags; nil: derived from the ttls; 0: no expiry.
    public var expiryInterval: Double?

    /// Pull-through from `upstreams`.
    public init(upstreams: [PullThroughUpstream], trustedCADirectory: String? = nil, expiryInterval: Double? = nil) {
        self.upstreams = upstreams
        self.trustedCADirectory = trustedCADirectory
        self.expiryInterval = expiryInterval
    }
}
