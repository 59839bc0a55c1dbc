import Foundation
import WharfCrypto
import WharfHTTP

/// `GET /openshift/token?account=&service=&scope=...`: exchanges credentials (Basic
/// `user:TOKEN` or `user:PASSWORD`, or none for an anonymous token) for a short-lived
/// JWT that carries only the access the policy grants for the requested scopes.
struct TokenEndpoint {
    let authenticator: Authenticator
    let logger: Logger

    func respond(to request: HTTPRequest) async -> HTTPResponse {
        let credential = await authenticator.authenticateOffLoop(request.headers["Authorization"], allowJWT: false,
                                                                 clientAddress: request.remoteAddress)
        let identity: Identity
        switch credential {
        case .identity(let i): identity = i
        case .none: identity = .anonymous
        case .throttled(let wait): return AuthMiddleware.throttled(wait)
        case .invalid, .token:
            let realm = Self.baseURL(request, tokenRealm: authenticator.settings.tokenRealm)
            return AuthErrorResponse.make(status: 401, code: .unauthorized, message: "authentication required",
                                          detail: "invalid credentials",
                                          challenge: "Basic realm=\"\(realm.url)\(AuthMiddleware.tokenPath)\"")
        }
        let scopes = AccessScope.parseAll(request.queryValues("scope"))
        let access = Self.grant(scopes, to: identity, policy: authenticator.policy, strictNames: authenticator.settings.strictNames)
        let now = Date()
        let issued = Int64(now.timeIntervalSince1970)
        let settings = authenticator.settings
        let claims = TokenClaims(issuer: settings.issuer, subject: identity.user ?? "", audience: settings.realm,
                                 issuedAt: issued, notBefore: issued, expiresAt: issued + settings.tokenLifetime,
                                 id: SecureRandom.hexToken(), access: access)
        let token = authenticator.jwt.sign(claims)
        if logger.enabled(.debug) {
            logger.debug("token issued", ["user": identity.user ?? "-",
                                          "access": access.map { "\($0.type):\($0.name):\($0.actions.joined(separator: ","))" }.joined(separator: " ")])
        }
        let formatter = ISO8601DateFormatter()
        let body: [String: Any] = ["token": token, "access_token": token, "expires_in": settings.tokenLifetime,
                                   "issued_at": formatter.string(from: now)]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                            body: request.method == "HEAD" ? .empty : .bytes(data))
    }

    /// The access `identity` gets for `scopes`: each requested action the policy allows,
    /// nothing else (a scope for a name breaking the naming rule gets nothing).
    static func grant(_ scopes: [AccessScope], to identity: Identity, policy: AccessPolicy, strictNames: Bool) -> [GrantedAccess] {
        var granted: [GrantedAccess] = []
        for scope in scopes.prefix(32) {
            switch scope.type {
            case "repository":
                if strictNames && !RepositoryProject.isProjectName(scope.name) { continue }
                let verbs = policy.verbs(for: identity, project: RepositoryProject.of(scope.name))
                var actions: [String] = []
                for verb in [AccessVerb.pull, .push, .delete] where verbs.contains(verb) {
                    if scope.actions.contains(verb.rawValue) || scope.actions.contains("*") { actions.append(verb.rawValue) }
                }
                if !actions.isEmpty { granted.append(GrantedAccess(type: "repository", name: scope.name, actions: actions)) }
            case "registry":
                guard let verb = AccessVerb(rawValue: scope.name), AccessVerb.registryWide.contains(verb) else { continue }
                if policy.verbs(for: identity, project: nil).contains(verb), !scope.actions.isEmpty {
                    granted.append(GrantedAccess(type: "registry", name: verb.rawValue, actions: ["*"]))
                }
            default:
                continue
            }
        }
        return granted
    }

    /// `scheme://host` of this registry as the client sees it, and the host alone:
    /// `tokenrealm` when configured, else `X-Forwarded-Proto`/`X-Forwarded-Host`/`Host`.
    static func baseURL(_ request: HTTPRequest, tokenRealm: String?) -> (url: String, host: String) {
        if let realm = tokenRealm, let url = URL(string: realm), let host = url.host {
            let port = url.port.map { ":\($0)" } ?? ""
            return (realm.hasSuffix("/") ? String(realm.dropLast()) : realm, host + port)
        }
        let proto = request.headers["X-Forwarded-Proto"]?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let scheme = (proto == "http" || proto == "https") ? proto! : (request.isTLS ? "https" : "http")
        let forwarded = request.headers["X-Forwarded-Host"]?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
        var host = forwarded ?? request.headers["Host"] ?? "localhost"
        // Header values end up inside a quoted challenge parameter: keep only host characters.
        host = String(host.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || ".-:[]_".unicodeScalars.contains($0) }.prefix(255))
        if host.isEmpty { host = "localhost" }
        return ("\(scheme)://\(host)", host)
    }
}
