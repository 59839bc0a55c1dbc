import Foundation
import WharfAPI
import WharfHTTP
import WharfMetrics
import WharfStorage

/// What every handler shares: settings, storage, layout, caches.
final class RegistryContext: @unchecked Sendable {
    let options: RegistryOptions
    let driver: StorageDriver
    /// The driver's optional capabilities, resolved once: the catalog, tag lists, link
    /// cache and blob serving read them on every request.
    let storage: StorageCapabilities
    let logger: Logger
    let paths: RegistryPaths
    let links: LinkFiles
    let locations: LocationBuilder
    let uploadTokens: UploadStateToken
    let hashers: UploadHasherCache
    let manifests: ManifestCache
    /// Tag lists by repository, validated against storage on every use.
    let tagLists = TagListCache()
    /// The repository tree behind `_catalog`, validated against storage on every use.
    let catalog = CatalogIndex()
    /// Encoded `_catalog` pages of the catalog's current generation.
    let catalogPages = CatalogPageCache()
    /// Where operation timings and cache lookups are counted; nil when metrics are off.
    let metrics: RegistryMetrics?
    /// The pull-through cache when `proxy` is configured.
    let pullThrough: PullThroughCache?
    /// Where events go (`notifications`); nil when no endpoint is configured.
    let notifier: EventNotifier?
    /// Blob descriptors shared by replicas (`storage.cache.blobdescriptor: redis`); nil when not configured.
    let blobCache: RedisBlobDescriptorCache?

    init(options: RegistryOptions, driver: StorageDriver, logger: Logger, secret: [UInt8], metrics: RegistryMetrics? = nil,
         notifier: EventNotifier? = nil, blobCache: RedisBlobDescriptorCache? = nil) {
        self.metrics = metrics
        self.notifier = notifier
        self.blobCache = blobCache
        self.options = options
        self.driver = driver
        self.storage = driver.capabilities
        self.logger = logger
        self.paths = RegistryPaths()
        self.links = LinkFiles(driver: driver, cache: LinkCache(capacity: options.linkCacheEntries), metrics: metrics)
        self.locations = LocationBuilder(options: options)
        self.uploadTokens = UploadStateToken(key: secret)
        self.hashers = UploadHasherCache(capacity: 256)
        self.manifests = ManifestCache(capacity: options.manifestCacheEntries)
        if let proxy = options.pullThrough, !proxy.upstreams.isEmpty {
            do {
                pullThrough = try PullThroughCache(options: proxy, logger: logger, metrics: metrics)
            } catch {
                // Only an invalid remote URL gets here, which the config loader refuses first.
                fatalError("cannot set up the pull-through cache: \(error)")
            }
        } else {
            pullThrough = nil
        }
    }

    /// The validated `name` path parameter.
    func repositoryName(_ request: HTTPRequest) throws -> RepositoryName {
        try RepositoryName(request.pathParameters["name"] ?? "")
    }

    /// Refuses writes in read-only mode (405 UNSUPPORTED, as distribution).
    func requireWritable() throws {
        if options.readOnly {
            throw RegistryError(.unsupported, message: "registry is in read-only mode",
                                detail: "storage.maintenance.readonly.enabled is set: pushes and deletes are refused")
        }
    }

    /// Refuses pushes and deletes to a pull-through repository (405 UNSUPPORTED).
    func requireOwnRepository(_ name: RepositoryName, _ request: HTTPRequest) throws {
        try pullThrough?.refuseWrites(name, request)
    }

    func requireDeleteEnabled() throws {
        try requireWritable()
        if !options.deleteEnabled {
            throw RegistryError(.unsupported, detail: "deletes are disabled (storage.delete.enabled)")
        }
    }
}

/// A response body for HEAD: no bytes, but the length of what GET would send, so the
/// codec reports the right `Content-Length` (handlers never set that header themselves:
/// the server derives it from ``ResponseBody/knownLength``).
func headBody(length: Int64) -> ResponseBody {
    .stream(length: length, producer: { _ in })
}
