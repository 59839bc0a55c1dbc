import WharfAPI
import WharfHTTP

/// What a request needs from the policy: its matched route's access (WharfAPI's route
/// table), in the policy's terms.
public enum RequiredAccess: Equatable, Sendable {
    /// Not protected (`/healthz`, the token endpoint, paths outside the API).
    case none
    /// Any authenticated caller, or an anonymous token (`GET /v2/`, unknown `/v2` paths).
    case authenticated
    /// `verb` on the repository `name`.
    case repository(name: String, verb: AccessVerb)
    /// A registry-wide verb: `catalog`, `metrics` or `admin`.
    case registry(AccessVerb)

    /// What `request` needs, read from the route the router attached (matched now if
    /// none was): the route's access, on the repository named by its `name` parameter.
    public static func of(_ request: HTTPRequest) -> RequiredAccess {
        of(request.routeMatch, name: request.pathParameters["name"])
    }

    /// What a request with route `match` and repository `name` needs.
    public static func of(_ match: RouteMatch, name: String?) -> RequiredAccess {
        guard let access = match.access else { return .none }
        switch access {
        case .repository(let action):
            guard let name, !name.isEmpty else { return .authenticated }
            switch action {
            case .pull: return .repository(name: name, verb: .pull)
            case .push: return .repository(name: name, verb: .push)
            case .delete: return .repository(name: name, verb: .delete)
            }
        case .catalog: return .registry(.catalog)
        case .metrics: return .registry(.metrics)
        case .admin: return .registry(.admin)
        case .tokenEndpoint, .health: return .none
        case .authenticated: return .authenticated
        }
    }
}
