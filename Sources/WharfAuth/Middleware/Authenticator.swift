import Foundation
import WharfCrypto

/// What a request's credentials prove.
public enum Credential: Sendable {
    /// No `Authorization` header.
    case none
    /// A user from the policy (API token or password) or the htpasswd file.
    case identity(Identity)
    /// A JWT we issued: its claims are the access.
    case token(TokenClaims)
    /// Credentials were sent and are wrong (or malformed). The reason is for logs only.
    case invalid(String)
    /// Too many failed attempts from this address or for this user name: not checked;
    /// try again after this many seconds.
    case throttled(retryAfter: Int)
}

/// Turns `Authorization` headers into identities: `Bearer <jwt>`, `Bearer <API token>`,
/// `Basic user:TOKEN` and `Basic user:PASSWORD`. Verified credentials are cached by
/// fingerprint so bcrypt runs once per credential.
public final class Authenticator: @unchecked Sendable {
    /// The settings.
    public let settings: AuthSettings
    /// The policy (openshift mode).
    public let policies: PolicyStore?
    /// The htpasswd file (htpasswd mode).
    public let htpasswd: HtpasswdFile?
    /// Signs and verifies our JWTs.
    public let jwt: JSONWebToken
    private let identities = CredentialCache<Identity>()
    private let tokens = CredentialCache<TokenClaims>()
    /// Failed password checks per client address and user name (see ``AuthFailureThrottle``).
    public let failures = AuthFailureThrottle()
    /// Called once per failed authentication with its reason (`unknown_user`,
    /// `wrong_password`, `invalid_token`, `malformed`, `throttled`), for metrics; never the secret.
    public var onFailure: (@Sendable (String) -> Void)?

    /// An authenticator for `settings`; openshift mode needs `policies`, htpasswd mode `htpasswd`.
    public init(settings: AuthSettings, policies: PolicyStore?, htpasswd: HtpasswdFile?) {
        self.settings = settings
        self.policies = policies
        self.htpasswd = htpasswd
        jwt = JSONWebToken(key: settings.signingKey, issuer: settings.issuer, audience: settings.realm)
    }

    /// The policy in force (empty in htpasswd mode).
    public var policy: AccessPolicy { policies?.current() ?? .empty }

    /// ``authenticate(_:allowJWT:now:)`` for request handlers: Basic credentials, which may
    /// cost a bcrypt check (~100 ms), are checked on the shared concurrent executor, never
    /// on the executor the caller runs on. A request without a body runs on its connection's
    /// event loop, and a bcrypt there would stall every connection of that loop.
    public func authenticateOffLoop(_ authorization: String?, allowJWT: Bool = true,
                                    clientAddress: String = "") async -> Credential {
        guard let authorization, authorization.utf8.count > 6,
              authorization.utf8.prefix(6).map({ $0 | 0x20 }) == Array("basic ".utf8) else {
            return authenticate(authorization, allowJWT: allowJWT, clientAddress: clientAddress)
        }
        return await withTaskExecutorPreference(globalConcurrentExecutor) {
            authenticate(authorization, allowJWT: allowJWT, clientAddress: clientAddress)
        }
    }

    /// What `authorization` (the header value, or nil) proves. `allowJWT` is false at the
    /// token endpoint, where only real credentials can obtain a token. `clientAddress`
    /// (`host:port`) keys the throttle on failed password checks.
    public func authenticate(_ authorization: String?, allowJWT: Bool = true, now: Date = Date(),
                             clientAddress: String = "") -> Credential {
        let credential = check(authorization, allowJWT: allowJWT, now: now, clientAddress: clientAddress)
        if let onFailure {
            switch credential {
            case .invalid(let reason): onFailure(Self.failureReason(reason))
            case .throttled: onFailure("throttled")
            default: break
            }
        }
        return credential
    }

    private static func failureReason(_ reason: String) -> String {
        if reason.hasPrefix("unknown user") { return "unknown_user" }
        if reason.hasPrefix("wrong") { return "wrong_password" }
        if reason.hasPrefix("token refused") || reason.hasPrefix("unknown API token") { return "invalid_token" }
        return "malformed"
    }

    private func check(_ authorization: String?, allowJWT: Bool, now: Date, clientAddress: String) -> Credential {
        guard let authorization, authorization.utf8.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return .none }
        guard let header = AuthorizationHeader(authorization) else { return .invalid("malformed Authorization header") }
        let value = String(header.credential)
        let generation = policies?.generation ?? 0
        switch header.scheme {
        case "bearer":
            if header.dots == 2 {
                guard allowJWT else { return .invalid("a registry token cannot obtain another token") }
                if let claims = tokens.get(value, generation: 0), claims.expiresAt > Int64(now.timeIntervalSince1970) {
                    return .token(claims)
                }
                do {
                    let claims = try jwt.verify(value, now: now)
                    tokens.set(value, claims, generation: 0,
                               expiresAt: DispatchTime.now().uptimeNanoseconds + UInt64(max(0, claims.expiresAt - Int64(now.timeIntervalSince1970))) * 1_000_000_000)
                    return .token(claims)
                } catch {
                    return .invalid("token refused: \(error)")
                }
            }
            guard case .openshift = settings.mode else { return .invalid("bearer tokens are not accepted") }
            return identity(forAPIToken: value).map(Credential.identity) ?? .invalid("unknown API token")
        case "basic":
            guard let bytes = Data(base64Encoded: value), let decoded = String(data: bytes, encoding: .utf8),
                  let colon = decoded.firstIndex(of: ":") else { return .invalid("malformed Basic credentials") }
            let user = String(decoded[..<colon])
            let secret = String(decoded[decoded.index(after: colon)...])
            let key = "basic\u{0}" + DigestHasher.hex(Data(decoded.utf8))
            // Proven credentials first: a logged-in client is never slowed by the throttle.
            if let cached = identities.get(key, generation: generation) { return .identity(cached) }
            if let wait = failures.retryAfter(address: clientAddress, user: user) { return .throttled(retryAfter: wait) }
            let result: Identity?
            var known = true
            switch settings.mode {
            case .openshift:
                guard !secret.contains(":") else { return .invalid("a user name must not contain ':'") }
                known = policy.user(named: user) != nil
                result = identity(forAPIToken: secret) ?? identity(user: user, password: secret)
            case .htpasswd:
                known = htpasswd?.entries[user] != nil
                result = htpasswd?.verify(user: user, password: secret) == true ? Identity(user: user, groups: []) : nil
            }
            guard let result else {
                failures.failed(address: clientAddress, user: user)
                return .invalid(known ? "wrong user name or password" : "unknown user or wrong password")
            }
            failures.succeeded(user: user)
            identities.set(key, result, generation: generation)
            return .identity(result)
        default:
            return .invalid("unsupported authorization scheme")
        }
    }

    private func identity(forAPIToken token: String) -> Identity? {
        guard !token.isEmpty, token.utf8.count <= 1024 else { return nil }
        let hash = DigestHasher.hex(Data(token.utf8))
        guard let user = policy.user(withTokenHash: hash) else { return nil }
        return Identity(user: user.name, groups: user.groups)
    }

    /// A user without a password (or no such user) costs one bcrypt at the policy's cost
    /// all the same, so the answer's timing does not tell which users exist.
    private func identity(user name: String, password: String) -> Identity? {
        let policy = self.policy
        guard let user = policy.user(named: name), let hash = user.passwordHash else {
            _ = BcryptPassword.verify(password, hash: BcryptPassword.dummyHash(likeAnyOf: policy.users.compactMap(\.passwordHash)))
            return nil
        }
        return BcryptPassword.verify(password, hash: hash) ? Identity(user: user.name, groups: user.groups) : nil
    }
}
