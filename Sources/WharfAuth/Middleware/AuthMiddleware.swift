import Foundation
import WharfAPI
import WharfHTTP

/// Guards `/v2` and `/extensions/v2/metrics` and serves the token endpoint
/// (`GET /openshift/token`), as the OpenShift registry does.
///
/// Without credentials a protected request gets 401 with a `Bearer` challenge naming
/// the token endpoint (or a `Basic` one in htpasswd mode); bad credentials get 401, a
/// known caller without the access 403 `DENIED`. The access is the matched route's (the
/// router attaches it before middleware runs); the decision is made before the route's
/// handler, so a denied caller never learns whether a repository exists.
///
/// ```swift
/// let auth = AuthMiddleware(authenticator: authenticator, logger: logger)
/// let handler = registry.handler(middleware: [AccessLogMiddleware(logger: logger), auth])
/// ```
public struct AuthMiddleware: HTTPMiddleware {
    /// Path of the token endpoint.
    public static let tokenPath = RouteTable.standard[.token]!.pattern.description
    /// Request attribute the registry's cross-repository mount reads: `denied` when the
    /// caller may not pull the `from` repository (the mount then becomes a normal upload).
    public static let mountAttribute = "wharf.auth.mount"
    /// Request attribute holding the authenticated user name, for later layers.
    public static let userAttribute = HTTPRequest.userAttribute

    /// Checks credentials.
    public let authenticator: Authenticator
    /// Debug lines on decisions (never credentials).
    public let logger: Logger

    /// Requests that skip the access check because their handler checks a credential of
    /// its own (the metrics endpoint's `openshift.metrics.secret`). Nil: none.
    public let exempt: (@Sendable (HTTPRequest) -> Bool)?

    /// A middleware using `authenticator`.
    public init(authenticator: Authenticator, logger: Logger, exempt: (@Sendable (HTTPRequest) -> Bool)? = nil) {
        self.authenticator = authenticator
        self.logger = logger
        self.exempt = exempt
    }

    /// The same middleware with an exemption (see ``exempt``).
    public func exempting(_ predicate: @escaping @Sendable (HTTPRequest) -> Bool) -> AuthMiddleware {
        AuthMiddleware(authenticator: authenticator, logger: logger, exempt: predicate)
    }

    private var settings: AuthSettings { authenticator.settings }

    /// Serves the token endpoint, or checks access and calls `next`.
    public func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
        let match = request.routeMatch
        if match.route?.access == .tokenEndpoint, case .openshift = settings.mode {
            guard request.method == "GET" || request.method == "HEAD" else {
                return AuthErrorResponse.make(status: 405, code: .unsupported, message: "method not allowed", detail: nil)
            }
            return await TokenEndpoint(authenticator: authenticator, logger: logger).respond(to: request)
        }
        let required = RequiredAccess.of(match, name: request.pathParameters["name"])
        if required == .none { return try await next(request) }
        if let exempt, exempt(request) { return try await next(request) }

        if case .repository(let name, _) = required, settings.strictNames, case .openshift = settings.mode,
           !RepositoryProject.isProjectName(name) {
            // Said in the message (podman shows only that) and, for HEAD, which has no body, in the challenge.
            let rule = "repository name '\(name)' must be <project>/<name> (exactly two components)"
            return AuthErrorResponse.make(status: 401, code: .unauthorized, message: rule, detail: rule,
                                          challenge: challenge(request, required, invalidRequest: rule), apiHeader: true)
        }

        let credential = await authenticator.authenticateOffLoop(request.headers["Authorization"],
                                                                 clientAddress: request.remoteAddress)
        switch credential {
        case .throttled(let wait):
            logger.debug("authentication throttled", ["remote": request.remoteAddress, "retryAfter": String(wait)])
            return Self.throttled(wait)
        case .invalid(let reason):
            logger.debug("authentication failed", ["remote": request.remoteAddress, "reason": reason])
        default:
            break
        }
        if let user = credential.userName { request.attributes[Self.userAttribute] = user }
        let decision = AccessDecision.decide(credential, required: required, policy: authenticator.policy,
                                             mode: settings.mode, strictNames: settings.strictNames)
        if logger.enabled(.debug) {
            logger.debug("auth decision", ["method": request.method, "path": request.path,
                                           "user": credential.userName ?? "-", "allowed": decision == .allow ? "true" : "false"])
        }
        switch decision {
        case .allow:
            request.attributes[HTTPRequest.accessGrantedAttribute] = "true"
            markMount(request, credential)
            return try await next(request)
        case .unauthorized(let detail):
            return AuthErrorResponse.make(status: 401, code: .unauthorized, message: "authentication required",
                                          detail: detail, challenge: challenge(request, required), apiHeader: true)
        case .insufficientScope:
            return AuthErrorResponse.make(status: 403, code: .denied, message: "requested access to the resource is denied",
                                          detail: "insufficient_scope: the token does not cover this request",
                                          challenge: challenge(request, required, insufficientScope: true), apiHeader: true)
        case .denied:
            return AuthErrorResponse.make(status: 403, code: .denied, message: "requested access to the resource is denied",
                                          detail: nil, apiHeader: true)
        }
    }

    /// 429 `TOOMANYREQUESTS` with `Retry-After`: too many failed authentications.
    static func throttled(_ wait: Int) -> HTTPResponse {
        var response = AuthErrorResponse.make(status: 429, code: .tooManyRequests, message: "too many failed authentications",
                                              detail: "try again in \(wait) s", apiHeader: true)
        response.headers.set("Retry-After", String(wait))
        return response
    }

    /// A mount (`POST .../blobs/uploads/?mount=&from=`) needs pull on `from` as well.
    private func markMount(_ request: HTTPRequest, _ credential: Credential) {
        guard request.method == "POST", request.queryValue("mount") != nil, let from = request.queryValue("from") else { return }
        let ok: Bool
        if settings.strictNames, case .openshift = settings.mode, !RepositoryProject.isProjectName(from) {
            ok = false
        } else {
            ok = AccessDecision.decide(credential, required: .repository(name: from, verb: .pull), policy: authenticator.policy,
                                       mode: settings.mode, strictNames: settings.strictNames) == .allow
        }
        if !ok { request.attributes[Self.mountAttribute] = "denied" }
    }

    /// The `WWW-Authenticate` value for a request needing `required`.
    /// The `WWW-Authenticate` value; `invalidRequest` adds `error="invalid_request"` and its
    /// `error_description` (RFC 6750 §3), the only place a HEAD refusal can say why.
    func challenge(_ request: HTTPRequest, _ required: RequiredAccess, insufficientScope: Bool = false,
                   invalidRequest: String? = nil) -> String {
        if case .htpasswd = settings.mode { return "Basic realm=\"\(settings.realm)\"" }
        let base = TokenEndpoint.baseURL(request, tokenRealm: settings.tokenRealm)
        var value = "Bearer realm=\"\(base.url)\(Self.tokenPath)\",service=\"\(base.host)\""
        switch required {
        case .repository(let name, let verb):
            let actions = verb == .pull ? "pull" : verb == .push ? "pull,push" : verb.rawValue
            value += ",scope=\"repository:\(name):\(actions)\""
        case .registry(let verb):
            value += ",scope=\"registry:\(verb.rawValue):*\""
        default:
            break
        }
        if insufficientScope { value += ",error=\"insufficient_scope\"" }
        if let invalidRequest {
            let quoted = invalidRequest.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            value += ",error=\"invalid_request\",error_description=\"\(quoted)\""
        }
        return value
    }
}

/// The project of a repository name and the OpenShift naming rule.
public enum RepositoryProject {
    /// The project: the first path component.
    public static func of(_ name: String) -> String {
        String(name.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// True when `name` is exactly `<project>/<name>`.
    public static func isProjectName(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
    }
}

extension Credential {
    /// The user name, when known.
    var userName: String? {
        switch self {
        case .identity(let i): return i.user
        case .token(let c): return c.subject.isEmpty ? nil : c.subject
        default: return nil
        }
    }
}
