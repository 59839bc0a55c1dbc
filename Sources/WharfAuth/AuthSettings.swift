import Foundation

/// How the auth middleware works: which scheme, where its files are, how tokens are signed.
/// Built by the `wharf` CLI from `auth.openshift` or `auth.htpasswd`.
public struct AuthSettings: Sendable {
    /// The scheme in force.
    public enum Mode: Sendable {
        /// Token auth with roles from a policy file (`auth.openshift`).
        case openshift(policyPath: String)
        /// distribution's htpasswd: every listed user may do everything (`auth.htpasswd`).
        case htpasswd(path: String)
    }

    /// The scheme.
    public var mode: Mode
    /// Realm named in Basic challenges, and the audience of issued tokens.
    public var realm: String
    /// `scheme://host` of the token endpoint (`auth.openshift.tokenrealm`); nil: from the request.
    public var tokenRealm: String?
    /// Repository names must be exactly `<project>/<name>` (the OpenShift rule).
    public var strictNames: Bool = true
    /// HMAC key of issued JWTs.
    public var signingKey: [UInt8]
    /// Lifetime of issued JWTs, in seconds.
    public var tokenLifetime: Int64 = 300
    /// `iss` of issued JWTs.
    public var issuer: String = "wharf-token-issuer"

    /// Settings for `mode`.
    public init(mode: Mode, realm: String, tokenRealm: String? = nil, strictNames: Bool = true, signingKey: [UInt8]) {
        self.mode = mode
        self.realm = realm
        self.tokenRealm = tokenRealm
        self.strictNames = strictNames
        self.signingKey = signingKey
    }
}
