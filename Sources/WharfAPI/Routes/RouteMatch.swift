import WharfHTTP

/// What the router found for a request, attached to it before middleware runs
/// (``HTTPRequest/apiRoute``). Small enough to travel inline in the request.
public struct RouteMatch: MatchedRoute, Equatable {
    /// How the request line matched.
    public enum Outcome: Sendable, Equatable {
        /// ``RouteMatch/route`` serves this method.
        case found
        /// ``RouteMatch/route``'s pattern matched, under another method (405).
        case methodNotAllowed
        /// No pattern matched (404).
        case notFound
    }

    /// The matched route (for ``Outcome/methodNotAllowed`` the first whose pattern
    /// matched); nil when nothing matched.
    public let route: APIRoute?
    /// How it matched.
    public let outcome: Outcome
    /// What the request needs: the route's access; for a path no route serves under
    /// `/v2`, ``RouteAccess/authenticated``; nil (nothing) outside the API.
    public let access: RouteAccess?

    /// A match.
    public init(route: APIRoute?, outcome: Outcome, access: RouteAccess?) {
        self.route = route
        self.outcome = outcome
        self.access = access
    }

    /// Same route (by identity), outcome and access.
    public static func == (a: RouteMatch, b: RouteMatch) -> Bool {
        a.route === b.route && a.outcome == b.outcome && a.access == b.access
    }

    /// True when the route is one of the API's (`/v2...`), whose answers carry
    /// `Docker-Distribution-API-Version`.
    public var isAPI: Bool {
        if let route { return route.pattern.leadingLiteral == "v2" }
        return access == .authenticated
    }
}

extension HTTPRequest {
    /// The route match attached by ``RouteTable/attach(to:)``; nil before routing.
    public var apiRoute: RouteMatch? { route as? RouteMatch }

    /// The attached route match, or (for a request that skipped the router, as in unit
    /// tests) the standard table's match, attached now.
    public var routeMatch: RouteMatch { apiRoute ?? RouteTable.standard.attach(to: self) }
}
