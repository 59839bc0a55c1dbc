/// What a route requires of its caller. Every ``APIRoute`` has one (the initializer takes
/// it), so a route cannot exist without an access rule.
public enum RouteAccess: Sendable, Hashable {
    /// A verb on the repository named by the route's `{name*}` parameter.
    case repository(RepositoryAction)
    /// Listing every repository (`/v2/_catalog`).
    case catalog
    /// Reading the metrics (`/extensions/v2/metrics`).
    case metrics
    /// Registry administration (`/extensions/v2/pruner`): `registry-admin` on every project.
    case admin
    /// The token endpoint: open, it checks credentials itself.
    case tokenEndpoint
    /// Health probes: open.
    case health
    /// Any authenticated caller, or an anonymous token (`GET /v2/`).
    case authenticated

    /// True for routes the request limiter never refuses (probes and scrapes must not
    /// fail under load).
    public var bypassesRequestLimits: Bool {
        self == .health || self == .metrics
    }
}

/// The verbs a repository route needs.
public enum RepositoryAction: String, Sendable, Hashable, CaseIterable {
    /// Read manifests, blobs, tags, referrers.
    case pull
    /// Upload blobs, put manifests.
    case push
    /// Delete manifests and blobs.
    case delete
}
