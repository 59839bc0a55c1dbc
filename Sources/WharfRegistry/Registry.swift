import Foundation
import WharfHTTP
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
    public var httpSecret: [UInt8] = []
    /// `storage.maintenance.readonly.enabled`: pushes and deletes refused.
    public var readOnly: Bool = false
    /// `storage.redirect.disable`: never answer blob GETs with a redirect.
    public var redirectDisabled: Bool = false
    /// Largest manifest accepted, in bytes.
    public var maxManifestSize: Int = 4 << 20

    public init() {}
}

/// The OCI distribution API over a storage driver: builds the `/v2` routes.
///
/// ```swift
/// let registry = Registry(options: options, driver: FilesystemDriver(root: "./data"), logger: logger)
/// let server = HTTPServer(configuration: httpConfig, logger: logger, handler: registry.handler)
/// ```
public final class Registry: @unchecked Sendable {
    public let options: RegistryOptions
    public let driver: StorageDriver
    public let logger: Logger

    public init(options: RegistryOptions, driver: StorageDriver, logger: Logger) {
        self.options = options
        self.driver = driver
        self.logger = logger
    }

    /// The handler for every request the registry serves (`/v2/...`, `/healthz`).
    public var handler: HTTPHandler {
        { _ in .text(501, "not implemented yet\n") }
    }
}
