import Foundation

/// Wharf's HTTP server: non-blocking sockets on Dispatch sources, a transport (plain or
/// TLS) and a codec (HTTP/1.1; HTTP/2 later) per connection, every request handed to one
/// ``HTTPHandler``.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 5000), logger: logger, handler: router.handle)
/// try server.start()
/// ...
/// await server.shutdown(gracePeriod: 30)   // stop accepting, let in-flight requests finish
/// ```
public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPServerConfiguration
    public let logger: Logger
    let handler: HTTPHandler

    public init(configuration: HTTPServerConfiguration, logger: Logger, handler: @escaping HTTPHandler) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
    }

    /// Binds and starts accepting. Throws when the address cannot be bound or TLS files are unusable.
    public func start() throws {
        fatalError("HTTPServer.start: not implemented yet")
    }

    /// The bound TCP port (useful after binding port 0).
    public var localPort: Int { fatalError("not implemented yet") }

    /// Stops accepting, lets in-flight requests finish for up to `gracePeriod` seconds, then
    /// closes every connection.
    public func shutdown(gracePeriod: Double) async {
        fatalError("HTTPServer.shutdown: not implemented yet")
    }
}
