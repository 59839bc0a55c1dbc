import Foundation
import WharfAuth
import WharfConfig
import WharfCrypto
import WharfHTTP

/// Builds the auth middleware from `auth.*`: nil when auth is off. Kept apart from
/// ``ServeCommand`` so serve only wires it in.
enum AuthSetup {
    /// The middleware for `config`; throws when the policy or htpasswd file is unusable.
    /// Tokens are signed with `auth.openshift.signingkey`, or a key derived from `httpSecret`
    /// (so replicas sharing `http.secret` accept each other's tokens).
    static func middleware(_ config: Configuration, httpSecret: [UInt8], logger: Logger) throws -> AuthMiddleware? {
        if let o = config.auth.openshift {
            guard let policy = o.policy else { throw ConfigurationError(Configuration.missingPolicyMessage) }
            let key = o.signingKey.map { Array($0.utf8) }
                ?? HMAC.sign(key: httpSecret, message: Array("wharf auth token signing key v1".utf8))
            var settings = AuthSettings(mode: .openshift(policyPath: policy), realm: o.realm, tokenRealm: o.tokenRealm,
                                        strictNames: o.strictNames, signingKey: key)
            settings.tokenLifetime = Int64(o.tokenExpiration)
            let store: PolicyStore
            do {
                store = try PolicyStore(path: policy, logger: logger)
            } catch {
                throw ConfigurationError("auth.openshift.policy: \(error)")
            }
            store.reloadOnHangup()
            let authenticator = Authenticator(settings: settings, policies: store, htpasswd: nil)
            logger.info("auth enabled", ["scheme": "openshift", "policy": policy,
                                         "users": String(store.current().users.count)])
            return AuthMiddleware(authenticator: authenticator, logger: logger)
        }
        if let h = config.auth.htpasswd {
            let file = try HtpasswdFile.load(path: h.path)
            let settings = AuthSettings(mode: .htpasswd(path: h.path), realm: h.realm, signingKey: SecureRandom.bytes(32))
            let authenticator = Authenticator(settings: settings, policies: nil, htpasswd: file)
            logger.info("auth enabled", ["scheme": "htpasswd", "path": h.path, "users": String(file.entries.count)])
            return AuthMiddleware(authenticator: authenticator, logger: logger)
        }
        return nil
    }
}
