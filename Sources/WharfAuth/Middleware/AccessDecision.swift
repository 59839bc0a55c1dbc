/// Whether a credential may do what a request needs.
public enum AccessDecision: Equatable, Sendable {
    /// Go on.
    case allow
    /// 401: no credentials, bad ones, or an anonymous token without the access.
    case unauthorized(String?)
    /// 403: a known caller without the access.
    case denied
    /// 403 with a challenge (RFC 6750 `insufficient_scope`): a valid token for other
    /// scopes, whose user the policy would grant this access; the client fetches a new token.
    case insufficientScope

    /// Decides for `credential` against `policy` (or the token's own access list).
    public static func decide(_ credential: Credential, required: RequiredAccess, policy: AccessPolicy,
                              mode: AuthSettings.Mode, strictNames: Bool) -> AccessDecision {
        if required == .none { return .allow }
        switch credential {
        case .invalid, .throttled:
            return .unauthorized("invalid credentials")
        case .none:
            guard case .openshift = mode, required != .authenticated else { return .unauthorized(nil) }
            return allowed(.anonymous, required, policy) ? .allow : .unauthorized(nil)
        case .identity(let identity):
            if case .htpasswd = mode { return .allow }
            return allowed(identity, required, policy) ? .allow : .denied
        case .token(let claims):
            if tokenGrants(claims, required) { return .allow }
            // A token for other scopes: when the policy would grant this access, the
            // client should fetch a token for it (401 insufficient_scope), else 403.
            let identity: Identity
            if claims.subject.isEmpty {
                identity = .anonymous
            } else if let user = policy.user(named: claims.subject) {
                identity = Identity(user: user.name, groups: user.groups)
            } else {
                return .denied
            }
            if allowed(identity, required, policy) { return .insufficientScope }
            return claims.subject.isEmpty ? .unauthorized("token does not grant this access") : .denied
        }
    }

    /// The policy's answer for an identity.
    public static func allowed(_ identity: Identity, _ required: RequiredAccess, _ policy: AccessPolicy) -> Bool {
        switch required {
        case .none, .authenticated: return true
        case .repository(let name, let verb):
            return policy.verbs(for: identity, project: RepositoryProject.of(name)).contains(verb)
        case .registry(let verb):
            return policy.verbs(for: identity, project: nil).contains(verb)
        }
    }

    /// A token's answer: its `access` list must name the repository (or registry
    /// resource) and the action.
    public static func tokenGrants(_ claims: TokenClaims, _ required: RequiredAccess) -> Bool {
        switch required {
        case .none, .authenticated: return true
        case .repository(let name, let verb):
            return claims.access.contains { $0.type == "repository" && $0.name == name && $0.actions.contains(verb.rawValue) }
        case .registry(let verb):
            return claims.access.contains { $0.type == "registry" && $0.name == verb.rawValue && ($0.actions.contains("*") || $0.actions.contains(verb.rawValue)) }
        }
    }
}
