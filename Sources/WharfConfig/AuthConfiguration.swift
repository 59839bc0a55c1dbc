import Foundation

extension Configuration {
    /// `auth.*`: who may do what. At most one scheme: `openshift` (token auth with roles
    /// from a policy file) or `htpasswd` (distribution's: listed users may do everything).
    public struct Auth: Equatable, Sendable {
        /// `auth.openshift`, nil when absent.
        public var openshift: OpenShift? = nil
        /// `auth.htpasswd`, nil when absent.
        public var htpasswd: Htpasswd? = nil
        /// No auth.
        public init() {}

        /// The schema of `auth`.
        static let schema: ConfigSchema = .section([
            ("openshift", .section([
                ("realm", .scalar), ("tokenrealm", .scalar), ("policy", .scalar), ("strictnames", .scalar),
                ("signingkey", .scalar), ("tokenexpiration", .scalar),
            ])),
            ("htpasswd", .section([("realm", .scalar), ("path", .scalar)])),
        ] + ConfigSchema.referenceAuthKeys)
    }

    /// `auth.openshift.*`.
    public struct OpenShift: Equatable, Sendable {
        /// `realm`: names the registry in challenges and is the audience of its tokens.
        public var realm: String = "openshift"
        /// `tokenrealm`: `scheme://host` of the token endpoint as clients reach it; nil: from the request.
        public var tokenRealm: String? = nil
        /// `policy`: the policy file (users, role bindings); nil when neither the file nor
        /// `REGISTRY_AUTH_OPENSHIFT_POLICY` gives one (`serve` then refuses to start, as
        /// OpenShift's own `auth: {openshift: {}}` is valid to check but cannot run).
        public var policy: String?
        /// `strictnames`: repository names must be `<project>/<name>` (default true).
        public var strictNames: Bool = true
        /// `signingkey`: HMAC key of issued tokens; nil: derived from `http.secret`.
        public var signingKey: String? = nil
        /// `tokenexpiration`: lifetime of issued tokens in seconds (default 5m).
        public var tokenExpiration: Double = 300
        /// A section reading `policy`.
        public init(policy: String?) { self.policy = policy }
    }

    /// `auth.htpasswd.*`: both keys required (as distribution requires them).
    public struct Htpasswd: Equatable, Sendable {
        /// `realm` of the Basic challenge.
        public var realm: String
        /// `path` of the htpasswd file (bcrypt entries).
        public var path: String
        /// A section.
        public init(realm: String, path: String) {
            self.realm = realm
            self.path = path
        }
    }

    /// What `serve` says when `auth.openshift` has no policy.
    public static let missingPolicyMessage =
        "auth.openshift.policy: no policy file given (set auth.openshift.policy in the file or REGISTRY_AUTH_OPENSHIFT_POLICY=/path/to/policy.yml; docs/auth.md describes the file)"

    static func decodeAuth(_ node: YAMLNode, into auth: inout Auth, warnings: inout [String]) throws {
        func string(_ n: YAMLNode?, _ path: String) throws -> String? {
            guard let n, !n.isNull else { return nil }
            let s = try n.string(at: path)
            return s.isEmpty ? nil : s
        }
        if let o = node["openshift"], !o.isNull {
            let policy = try string(o["policy"], "auth.openshift.policy")
            if policy == nil { warnings.append(Self.missingPolicyMessage + "; serve will not start without one") }
            var section = OpenShift(policy: policy)
            if let v = try string(o["realm"], "auth.openshift.realm") { section.realm = v }
            if let n = o["tokenrealm"], let v = try string(n, "auth.openshift.tokenrealm") {
                guard let url = URL(string: v), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                      url.host != nil, url.path.isEmpty || url.path == "/" else {
                    throw n.error("auth.openshift.tokenrealm: expected scheme://host[:port], found '\(v)'")
                }
                section.tokenRealm = v
            }
            if let n = o["strictnames"], !n.isNull { section.strictNames = try n.bool(at: "auth.openshift.strictnames") }
            section.signingKey = try string(o["signingkey"], "auth.openshift.signingkey")
            if let n = o["tokenexpiration"], try string(n, "auth.openshift.tokenexpiration") != nil {
                let v = try n.duration(at: "auth.openshift.tokenexpiration")
                guard v >= 1, v <= 86400 else { throw n.error("auth.openshift.tokenexpiration: must be between 1s and 24h") }
                section.tokenExpiration = v
            }
            auth.openshift = section
        }
        if let h = node["htpasswd"], !h.isNull {
            let realm = try string(h["realm"], "auth.htpasswd.realm")
            let path = try string(h["path"], "auth.htpasswd.path")
            guard let realm, let path else { throw h.error("auth.htpasswd: realm and path must both be set") }
            auth.htpasswd = Htpasswd(realm: realm, path: path)
        }
        if auth.openshift != nil && auth.htpasswd != nil {
            throw node.error("auth: more than one auth scheme configured (openshift, htpasswd); choose one")
        }
    }
}

extension Configuration.Auth {
    /// The section as YAML for `check-config` (the signing key masked unless `maskSecrets`
    /// is false); nil when no auth is configured.
    func printedNode(maskSecrets: Bool) -> YAMLNode? {
        func s(_ v: String) -> YAMLNode { YAMLNode(.scalar(v, .doubleQuoted), line: 0, origin: "") }
        func m(_ e: [(String, YAMLNode)]) -> YAMLNode {
            YAMLNode(.mapping(e.map { YAMLEntry(key: $0.0, keyLine: 0, value: $0.1) }), line: 0, origin: "")
        }
        if let o = openshift {
            var e: [(String, YAMLNode)] = [("realm", s(o.realm))]
            if let v = o.tokenRealm { e.append(("tokenrealm", s(v))) }
            if let policy = o.policy { e.append(("policy", s(policy))) }
            e.append(("strictnames", s(String(o.strictNames))))
            if let v = o.signingKey { e.append(("signingkey", s(maskSecrets ? ConfigurationPrinter.mask : v))) }
            e.append(("tokenexpiration", s(ConfigValueParser.formatDuration(o.tokenExpiration))))
            return m([("openshift", m(e))])
        }
        if let h = htpasswd { return m([("htpasswd", m([("realm", s(h.realm)), ("path", s(h.path))]))]) }
        return nil
    }
}
