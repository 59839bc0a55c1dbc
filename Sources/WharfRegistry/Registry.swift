import Foundation
import WharfAPI
import WharfCrypto
import WharfHTTP
import WharfMetrics
import WharfStorage

/// The registry's settings that come from config.yml (mapped by the `wharf` CLI).
public struct RegistryOptions: Sendable {
    /// `storage.delete.enabled`: blob and manifest DELETE allowed.
    public var deleteEnabled: Bool = false
    /// `http.relativeurls`: `Location` headers relative instead of absolute.
    public var relativeURLs: Bool = false
    /// `http.host`: scheme and host for absolute URLs, overriding the request's.
    public var host: String? = nil
    /// `http.secret`: key for the HMAC-signed upload state tokens (shared by replicas).
    /// Empty: a random per-process key (uploads then cannot move between processes).
    public var httpSecret: [UInt8] = []
    /// `storage.maintenance.readonly.enabled`: pushes and deletes refused.
    public var readOnly: Bool = false
    /// `storage.redirect.disable`: never answer blob GETs with a redirect.
    public var redirectDisabled: Bool = false
    /// Largest manifest accepted, in bytes.
    public var maxManifestSize: Int = 4 << 20
    /// `catalog.maxentries`: the catalog's page size without `n`, and the largest `n` honoured.
    public var catalogMaxEntries: Int = 1000
    /// How many manifests (by digest) the in-memory cache keeps; 0 disables it.
    public var manifestCacheEntries: Int = 1024
    /// How many link files (tags, revisions) the in-memory link cache keeps, each
    /// revalidated by one `stat` per use (filesystem driver only); 0 disables it.
    public var linkCacheEntries: Int = 8192
    /// Largest request body of one upload request (POST/PATCH/PUT); the default lifts the
    /// server's general body cap, since layers can be many GiB.
    public var maxUploadRequestSize: Int64 = Int64.max
    /// `health.*`: the periodic checks `/healthz` and `/debug/health` report; nil: the
    /// storage driver alone, asked on each probe.
    public var healthMonitor: HealthMonitor? = nil
    /// `storage.tag.concurrencylimit`: tag links read (and tags removed) at once when a
    /// manifest delete looks for the tags pointing at it.
    public var tagConcurrencyLimit: Int = 8
    /// `proxy`: upstream registries this one caches (pull-through); nil: none.
    public var pullThrough: PullThroughOptions? = nil
    /// Tests only (`WHARF_TEST_MANIFEST_PUT_DELAY`): seconds a manifest PUT waits between
    /// checking its blobs and writing its links, to force a race with garbage collection.
    public var testManifestPutDelay: Double = 0
    /// `storage.maintenance.gc.enabled`: online collection runs on this storage, so manifest
    /// PUTs take part in its protocol (re-reading plans and blobs after writing). Every replica
    /// on one storage has the same setting (they share one config); off, a PUT pays nothing.
    public var onlineGC: Bool = false

    /// Distribution's defaults.
    public init() {}
}

/// The OCI distribution API over a storage driver: binds the handlers of WharfAPI's
/// route table (`RouteTable.standard`).
///
/// ```swift
/// let registry = Registry(options: options, driver: FilesystemDriver(root: "./data"), logger: logger)
/// let server = HTTPServer(configuration: httpConfig, logger: logger, handler: registry.handler)
/// ```
public final class Registry: @unchecked Sendable {
    /// The settings this registry was built with.
    public let options: RegistryOptions
    /// Where blobs, links and uploads live.
    public let driver: StorageDriver
    /// Where failures (500s) are logged.
    public let logger: Logger
    private let context: RegistryContext
    private let routes: RouteHandlers

    /// Binds the handlers to the standard route table; an empty `httpSecret` is replaced by a random per-process key (logged).
    /// With `metrics`, each operation's duration and the manifest cache's hits and misses are recorded;
    /// with `notifier`, pushes, pulls, mounts and deletes are sent as notification events; with
    /// `blobCache`, blob lookups are answered from Redis when it has them.
    public init(options: RegistryOptions, driver: StorageDriver, logger: Logger, metrics: RegistryMetrics? = nil,
                notifier: EventNotifier? = nil, blobCache: RedisBlobDescriptorCache? = nil) {
        self.options = options
        self.driver = driver
        self.logger = logger
        var secret = options.httpSecret
        if secret.isEmpty {
            logger.warn("http.secret is not set: using a random key; uploads cannot continue on another replica or after a restart")
            secret = SecureRandom.bytes(32)
        }
        context = RegistryContext(options: options, driver: driver, logger: logger, secret: secret, metrics: metrics, notifier: notifier,
                                  blobCache: blobCache)
        do {
            routes = try Self.bindRoutes(context, table: .standard)
        } catch {
            // A handler for a route the table does not define: a programming error, so start-up fails.
            fatalError("cannot bind the registry's routes: \(error)")
        }
    }

    /// Serves the table route `id` (e.g. ``RouteID/metrics``) beside the registry's own; call
    /// before serving. Throws when the route table does not define `id` or it has a handler.
    public func addRoute(_ id: RouteID, _ handler: @escaping HTTPHandler) throws {
        try routes.bind(id, handler)
    }

    /// An online garbage collector over this registry's storage (`storage.maintenance.gc`):
    /// what it deletes leaves this registry's caches. `holder` names this replica in the lease.
    public func onlineCollector(holder: String, settings: OnlineCollector.Settings) -> OnlineCollector {
        let manifests = context.manifests
        return OnlineCollector(driver: driver, paths: context.paths, holder: holder, links: context.links, settings: settings,
                               logger: logger, metrics: context.metrics, forget: { digests in
                                   for digest in digests { manifests.remove(digest) }
                               })
    }

    /// The sweep that removes cached tags once their upstream's `ttl` has passed without a
    /// revalidation (`proxy`), or nil when this registry proxies nothing or
    /// `proxy.expiryinterval` is 0.
    public func cachedTagExpiry() -> CachedTagExpiry? {
        guard let cache = context.pullThrough, cache.expiryInterval != 0 else { return nil }
        return CachedTagExpiry(context: context, cache: cache)
    }

    /// The handler for every request the registry serves (`/v2/...`, `/healthz`), with no middleware.
    public var handler: HTTPHandler { handler(middleware: []) }

    /// The server's handler: matches the route once and attaches it to the request, runs
    /// `middleware` (outermost first; it reads the attached route), then the route's handler.
    public func handler(middleware: [HTTPMiddleware]) -> HTTPHandler {
        let routes = self.routes
        let logger = self.logger
        let metrics = context.metrics
        return routes.handler(middleware: middleware) { request in
            let match = request.routeMatch
            let start = metrics == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            var response: HTTPResponse
            do {
                response = try await routes.dispatch(request)
            } catch {
                let e = RegistryError.from(error)
                if e.status >= 500 {
                    logger.error("request failed", ["method": request.method, "path": request.path,
                                                   "request_id": request.requestID, "error": e.description])
                }
                response = e.response
            }
            // `imageregistry_request_duration_seconds{operation}`, named by the route table.
            if let metrics, match.outcome == .found, let operation = match.route?.operation(for: request.method) {
                metrics.operation(operation, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            if match.isAPI { response.headers.set("Docker-Distribution-API-Version", "registry/2.0") }
            return response
        }
    }

    static func bindRoutes(_ context: RegistryContext, table: RouteTable) throws -> RouteHandlers {
        let routes = RouteHandlers(table: table)
        let blobs = BlobHandlers(context: context)
        let uploads = UploadHandlers(context: context)
        let manifests = ManifestHandlers(context: context)
        let tags = TagHandlers(context: context)
        let catalog = CatalogHandler(context: context)
        let referrers = ReferrersHandler(context: context)

        let upload = context.options.maxUploadRequestSize
        let base: HTTPHandler = { _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "application/json; charset=utf-8"], body: .bytes(Data("{}".utf8)))
        }
        try routes.bind(.base, base)
        try routes.bind(.baseWithoutSlash, base)
        let health = HealthCheck(driver: context.driver, monitor: context.options.healthMonitor)
        try routes.bind(.health) { _ in await health.plainResponse() }
        try routes.bind(.root) { _ in await health.plainResponse() }
        try routes.bind(.debugHealth) { _ in await health.jsonResponse() }
        try routes.bind(.catalog) { try await catalog.list($0) }

        try routes.bind(.uploadStart, maxBodySize: upload) { try await uploads.start($0) }
        try routes.bind(.uploadStartWithoutSlash, maxBodySize: upload) { try await uploads.start($0) }
        try routes.bind(.uploadStatus) { try await uploads.status($0) }
        try routes.bind(.uploadPatch, maxBodySize: upload) { try await uploads.patch($0) }
        try routes.bind(.uploadPut, maxBodySize: upload) { try await uploads.put($0) }
        try routes.bind(.uploadCancel) { try await uploads.cancel($0) }

        try routes.bind(.blobGet) { try await blobs.get($0) }
        try routes.bind(.blobDelete) { try await blobs.delete($0) }

        try routes.bind(.manifestGet) { try await manifests.get($0) }
        try routes.bind(.manifestPut, maxBodySize: Int64(context.options.maxManifestSize)) { try await manifests.put($0) }
        try routes.bind(.manifestDelete) { try await manifests.delete($0) }

        try routes.bind(.tagsList) { try await tags.list($0) }
        try routes.bind(.referrers) { try await referrers.list($0) }

        routes.notFound = { request in
            if request.path.hasPrefix("/v2") {
                return RegistryError(.unsupported, message: "not found", detail: "no such endpoint: \(request.path.prefix(200))", status: 404).response
            }
            return .text(404, "404 page not found\n")
        }
        routes.methodNotAllowed = { request in
            RegistryError(.unsupported, detail: "method \(request.method) not allowed on \(request.path.prefix(200))").response
        }
        return routes
    }
}
