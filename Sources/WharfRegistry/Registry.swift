import Foundation
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

    /// Distribution's defaults.
    public init() {}
}

/// The OCI distribution API over a storage driver: builds the `/v2` routes.
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
    private let router: Router

    /// Builds the routes; an empty `httpSecret` is replaced by a random per-process key (logged).
    /// With `metrics`, each operation's duration and the manifest cache's hits and misses are recorded.
    public init(options: RegistryOptions, driver: StorageDriver, logger: Logger, metrics: RegistryMetrics? = nil) {
        self.options = options
        self.driver = driver
        self.logger = logger
        var secret = options.httpSecret
        if secret.isEmpty {
            logger.warn("http.secret is not set: using a random key; uploads cannot continue on another replica or after a restart")
            secret = SecureRandom.bytes(32)
        }
        context = RegistryContext(options: options, driver: driver, logger: logger, secret: secret, metrics: metrics)
        router = Self.makeRouter(context)
    }

    /// Adds a route beside the registry's own (e.g. `/extensions/v2/metrics`); call before serving.
    public func addRoute(_ method: String, _ pattern: String, _ handler: @escaping HTTPHandler) {
        router.add(method, pattern, handler)
    }

    /// The handler for every request the registry serves (`/v2/...`, `/healthz`).
    public var handler: HTTPHandler {
        let router = self.router
        let logger = self.logger
        return { request in
            let isV2 = request.path == "/v2" || request.path.hasPrefix("/v2/")
            var response: HTTPResponse
            do {
                response = try await router.handle(request)
            } catch {
                let e = RegistryError.from(error)
                if e.status >= 500 {
                    logger.error("request failed", ["method": request.method, "path": request.path,
                                                   "request_id": request.requestID, "error": e.description])
                }
                response = e.response
            }
            if isV2 { response.headers.set("Docker-Distribution-API-Version", "registry/2.0") }
            return response
        }
    }

    static func makeRouter(_ context: RegistryContext) -> Router {
        let router = Router()
        let blobs = BlobHandlers(context: context)
        let uploads = UploadHandlers(context: context)
        let manifests = ManifestHandlers(context: context)
        let tags = TagHandlers(context: context)
        let catalog = CatalogHandler(context: context)
        let referrers = ReferrersHandler(context: context)

        let upload = context.options.maxUploadRequestSize
        let metrics = context.metrics
        // Records the handler's duration as `imageregistry_request_duration_seconds{operation}`
        // (`head` names the HEAD variant of a GET route).
        func timed(_ operation: String, head: String? = nil, _ handler: @escaping HTTPHandler) -> HTTPHandler {
            guard let metrics else { return handler }
            return { request in
                let start = DispatchTime.now().uptimeNanoseconds
                defer {
                    let name = request.method == "HEAD" ? (head ?? operation) : operation
                    metrics.operation(name, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                return try await handler(request)
            }
        }
        let base: HTTPHandler = { _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "application/json; charset=utf-8"], body: .bytes(Data("{}".utf8)))
        }
        router.add("GET", "/v2/", base)
        router.add("GET", "/v2", base)
        let health = HealthCheck(driver: context.driver)
        router.add("GET", "/healthz") { _ in await health.plainResponse() }
        router.add("GET", "/") { _ in await health.plainResponse() }
        router.add("GET", "/debug/health") { _ in await health.jsonResponse() }
        router.add("GET", "/v2/_catalog", timed("Catalog.Repositories") { try await catalog.list($0) })

        router.add("POST", "/v2/{name*}/blobs/uploads/", maxBodySize: upload, timed("BlobStore.Create") { try await uploads.start($0) })
        router.add("POST", "/v2/{name*}/blobs/uploads", maxBodySize: upload, timed("BlobStore.Create") { try await uploads.start($0) })
        router.add("GET", "/v2/{name*}/blobs/uploads/{uuid}", timed("BlobStore.Resume") { try await uploads.status($0) })
        router.add("PATCH", "/v2/{name*}/blobs/uploads/{uuid}", maxBodySize: upload, timed("BlobWriter.ReadFrom") { try await uploads.patch($0) })
        router.add("PUT", "/v2/{name*}/blobs/uploads/{uuid}", maxBodySize: upload, timed("BlobWriter.Commit") { try await uploads.put($0) })
        router.add("DELETE", "/v2/{name*}/blobs/uploads/{uuid}", timed("BlobWriter.Cancel") { try await uploads.cancel($0) })

        router.add("GET", "/v2/{name*}/blobs/{digest}", timed("BlobStore.ServeBlob", head: "BlobStore.Stat") { try await blobs.get($0) })
        router.add("DELETE", "/v2/{name*}/blobs/{digest}", timed("BlobStore.Delete") { try await blobs.delete($0) })

        router.add("GET", "/v2/{name*}/manifests/{reference}", timed("ManifestService.Get", head: "ManifestService.Exists") { try await manifests.get($0) })
        router.add("PUT", "/v2/{name*}/manifests/{reference}", maxBodySize: Int64(context.options.maxManifestSize), timed("ManifestService.Put") { try await manifests.put($0) })
        router.add("DELETE", "/v2/{name*}/manifests/{reference}", timed("ManifestService.Delete") { try await manifests.delete($0) })

        router.add("GET", "/v2/{name*}/tags/list", timed("TagService.All") { try await tags.list($0) })
        router.add("GET", "/v2/{name*}/referrers/{digest}", timed("ReferrerService.List") { try await referrers.list($0) })

        router.notFound = { request in
            if request.path.hasPrefix("/v2") {
                return RegistryError(.unsupported, message: "not found", detail: "no such endpoint: \(request.path.prefix(200))", status: 404).response
            }
            return .text(404, "404 page not found\n")
        }
        router.methodNotAllowed = { request in
            RegistryError(.unsupported, detail: "method \(request.method) not allowed on \(request.path.prefix(200))").response
        }
        return router
    }
}
