import Foundation
import WharfAuth
import WharfConfig
import WharfCrypto
import WharfHTTP

/// Builds the auth middleware from `auth.*`: nil when auth is off. Kept apart from
/// ``ServeCommand`` so serve only wires it in; `check-config` runs ``check(_:)``, which
/// reads the same files the same way.
enum AuthSetup {
    /// Loads the policy or htpasswd file `config` names, as `serve` does, without starting
    /// anything: throws what would stop `serve`, returns what `serve` would warn about.
    static func check(_ config: Configuration) throws -> [String] {
        if let o = config.auth.openshift {
            // Without a policy key, check-config has warned already (it may come from
            // REGISTRY_AUTH_OPENSHIFT_POLICY when serve runs).
            guard let path = o.policy else { return [] }
            return try policy(path).warnings
        }
        if let h = config.auth.htpasswd {
            let file = try htpasswd(h.path)
            return file.entries.isEmpty ? ["auth.htpasswd.path: \(h.path) lists no users; every request will be refused"] : []
        }
        return []
    }

    private static func policy(_ path: String) throws -> AccessPolicy {
        do {
            return try AccessPolicy.load(path: path)
        } catch {
            throw ConfigurationError("auth.openshift.policy: \(error)")
        }
    }

    private static func htpasswd(_ path: String) throws -> HtpasswdFile {
        do {
            return try HtpasswdFile.load(path: path)
        } catch {
            throw ConfigurationError("auth.htpasswd.path: \(error)")
        }
    }

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
            for warning in store.current().warnings { logger.warn("auth policy: \(warning)", ["policy": policy]) }
            let authenticator = Authenticator(settings: settings, policies: store, htpasswd: nil)
            logger.info("auth enabled", ["scheme": "openshift", "policy": policy,
                                         "users": String(store.current().users.count)])
            return AuthMiddleware(authenticator: authenticator, logger: logger)
        }
        if let h = config.auth.htpasswd {
            let file = try htpasswd(h.path)
            let settings = AuthSettings(mode: .htpasswd(path: h.path), realm: h.realm, signingKey: SecureRandom.bytes(32))
            let authenticator = Authenticator(settings: settings, policies: nil, htpasswd: file)
            logger.info("auth enabled", ["scheme": "htpasswd", "path": h.path, "users": String(file.entries.count)])
            return AuthMiddleware(authenticator: authenticator, logger: logger)
        }
        return nil
    }
}
