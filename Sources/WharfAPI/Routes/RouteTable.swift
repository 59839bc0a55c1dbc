import WharfHTTP

/// Why a route table or a handler binding was refused at start-up.
public enum RouteTableError: Error, Equatable, CustomStringConvertible {
    /// Two entries share an id.
    case duplicateID(RouteID)
    /// Two entries share a method and pattern.
    case duplicateRoute(String)
    /// A repository route whose pattern has no `{name*}`: its access could name no repository.
    case repositoryWithoutName(RouteID)
    /// A handler for a route the table does not define.
    case undefinedRoute(RouteID)
    /// A second handler for the same route.
    case duplicateHandler(RouteID)

    /// What is wrong, for the start-up error.
    public var description: String {
        switch self {
        case .duplicateID(let id): return "route \(id) is defined twice"
        case .duplicateRoute(let r): return "route \(r) is defined twice"
        case .repositoryWithoutName(let id): return "repository route \(id) has no {name*} parameter"
        case .undefinedRoute(let id): return "route \(id) is not in the route table (no access rule): refusing its handler"
        case .duplicateHandler(let id): return "route \(id) has two handlers"
        }
    }
}

/// The API's routes, in match order, checked once when built. Matching splits the path
/// once and yields a ``RouteMatch``: the route, its parameters and the access the
/// request needs, which every layer reads from then on.
public struct RouteTable: Sendable {
    /// The routes, tried in order.
    public let routes: [APIRoute]
    private let byID: [RouteID: APIRoute]

    /// A table of `routes`; throws on duplicate ids or method+pattern pairs and on
    /// repository routes without a `{name*}` parameter.
    public init(_ routes: [APIRoute]) throws {
        var byID: [RouteID: APIRoute] = [:]
        var seen = Set<String>()
        for route in routes {
            guard byID[route.id] == nil else { throw RouteTableError.duplicateID(route.id) }
            guard seen.insert(route.description).inserted else { throw RouteTableError.duplicateRoute(route.description) }
            if case .repository = route.access, !route.pattern.parameterNames.contains("name") {
                throw RouteTableError.repositoryWithoutName(route.id)
            }
            byID[route.id] = route
        }
        self.routes = routes
        self.byID = byID
    }

    /// The route named `id`, or nil when this table does not define it.
    public subscript(id: RouteID) -> APIRoute? { byID[id] }

    /// Matches a request line: the route whose pattern and method match (a `GET` route
    /// answers `HEAD`), else the first route whose pattern matches under another method
    /// (``RouteMatch/Outcome/methodNotAllowed``), else ``RouteMatch/Outcome/notFound``.
    public func match(method: String, path: String) -> (RouteMatch, [String: String]) {
        let parts = PathPattern.split(path)
        var other: (APIRoute, [String: String])?
        var headFallback: (APIRoute, [String: String])?
        for route in routes {
            guard let params = route.pattern.match(parts) else { continue }
            if route.method == method { return (RouteMatch(route: route, outcome: .found, access: route.access), params) }
            if other == nil { other = (route, params) }
            if method == "HEAD" && route.method == "GET" && headFallback == nil { headFallback = (route, params) }
        }
        if let (route, params) = headFallback { return (RouteMatch(route: route, outcome: .found, access: route.access), params) }
        if let (route, params) = other {
            return (RouteMatch(route: route, outcome: .methodNotAllowed, access: Self.accessUnderOtherMethod(route, method)), params)
        }
        let inAPI = path == "/v2" || path.hasPrefix("/v2/")
        return (RouteMatch(route: nil, outcome: .notFound, access: inAPI ? .authenticated : nil), [:])
    }

    /// Matches `request` and attaches the result: ``HTTPRequest/route`` and the path
    /// parameters. Done once, before any middleware.
    @discardableResult
    public func attach(to request: HTTPRequest) -> RouteMatch {
        let (match, params) = self.match(method: request.method, path: request.path)
        request.route = match
        request.pathParameters = params
        return match
    }

    /// What a method a repository route does not serve still needs, so that a refusal
    /// (405) is decided after auth as before: upload paths need push, other repository
    /// paths pull for reads and push for the rest; other routes their own access.
    static func accessUnderOtherMethod(_ route: APIRoute, _ method: String) -> RouteAccess {
        guard case .repository(let action) = route.access else { return route.access }
        if action == .push { return .repository(.push) }
        let reads = method == "GET" || method == "HEAD"
        return .repository(reads ? .pull : .push)
    }
}
