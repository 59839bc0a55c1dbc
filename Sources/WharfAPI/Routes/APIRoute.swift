import WharfHTTP

/// The name of every route the registry serves; ``RouteTable`` gives each its pattern,
/// method, access and metric name.
public enum RouteID: String, Sendable, Hashable, CaseIterable {
    /// `GET /v2/` and `GET /v2`: the API version check.
    case base, baseWithoutSlash
    /// `GET /healthz`, `GET /` and `GET /debug/health`: probes.
    case health, root, debugHealth
    /// `GET /extensions/v2/metrics`: the Prometheus exposition.
    case metrics
    /// `GET /extensions/v2/pruner`: the latest scheduled prune results (admins only).
    case pruner
    /// `GET /openshift/token`: the token endpoint (served by WharfAuth's middleware).
    case token
    /// `GET /v2/_catalog`.
    case catalog
    /// The blob upload session: start (POST), status (GET), chunk (PATCH), commit (PUT), cancel (DELETE).
    case uploadStart, uploadStartWithoutSlash, uploadStatus, uploadPatch, uploadPut, uploadCancel
    /// `GET`/`HEAD` and `DELETE` of `/v2/<name>/blobs/<digest>`.
    case blobGet, blobDelete
    /// `GET`/`HEAD`, `PUT` and `DELETE` of `/v2/<name>/manifests/<reference>`.
    case manifestGet, manifestPut, manifestDelete
    /// `GET /v2/<name>/tags/list`.
    case tagsList
    /// `GET /v2/<name>/referrers/<digest>`.
    case referrers
}

/// One route of the API: the single place its path, method, required access and metric
/// operation name are written. A class so a match can point at it without copying.
///
/// ```swift
/// APIRoute(.manifestGet, "GET", "/v2/{name*}/manifests/{reference}", access: .repository(.pull),
///          operation: "ManifestService.Get", headOperation: "ManifestService.Exists")
/// ```
public final class APIRoute: Sendable, CustomStringConvertible {
    /// The route's name.
    public let id: RouteID
    /// The method served; a `GET` route serves `HEAD` too.
    public let method: String
    /// The path pattern.
    public let pattern: PathPattern
    /// What the caller needs.
    public let access: RouteAccess
    /// The `operation` label of `imageregistry_request_duration_seconds`; nil: not timed.
    public let operation: String?
    /// The operation name of the HEAD variant of a GET route (`BlobStore.Stat`); nil: ``operation``.
    public let headOperation: String?

    /// A route; `access` is required, so no route is open by accident.
    public init(_ id: RouteID, _ method: String, _ pattern: String, access: RouteAccess,
                operation: String? = nil, headOperation: String? = nil) {
        self.id = id
        self.method = method
        self.pattern = PathPattern(pattern)
        self.access = access
        self.operation = operation
        self.headOperation = headOperation
    }

    /// The methods served: ``method``, plus `HEAD` for a `GET` route.
    public var methods: [String] { method == "GET" ? ["GET", "HEAD"] : [method] }

    /// The metric operation name for a request with `method`.
    public func operation(for method: String) -> String? {
        method == "HEAD" ? (headOperation ?? operation) : operation
    }

    /// `GET /v2/{name*}/manifests/{reference}`.
    public var description: String { "\(method) \(pattern)" }
}
