import Foundation
import WharfHTTP
import WharfHTTPClient

/// Access tokens of the instance's default service account from the GCE metadata server,
/// used when no key is configured: `GET /computeMetadata/v1/instance/service-accounts/default/token`
/// with `Metadata-Flavor: Google`, on `metadata.google.internal` or the host in
/// `GCE_METADATA_HOST` (as Google's client libraries honour it). The server is local to the
/// instance, so its requests use a short timeout and no proxy. Tokens are cached and
/// refreshed by a ``BearerTokenCache``.
final class GCSMetadataCredentials: Sendable {
    /// The metadata server's name on GCE.
    static let defaultHost = "metadata.google.internal"
    /// The token path of the default service account.
    static let tokenPath = "/computeMetadata/v1/instance/service-accounts/default/token"

    /// `host[:port]` of the metadata server.
    let host: String
    private let cache: BearerTokenCache

    /// - Throws: ``StorageError/unsupported(_:)`` when `host` is not a `host[:port]`.
    init(host: String) throws {
        var hostPort = host
        for scheme in ["http://", "https://"] where hostPort.hasPrefix(scheme) { hostPort.removeFirst(scheme.count) }
        while hostPort.hasSuffix("/") { hostPort.removeLast() }
        let endpoint: HTTPEndpoint
        if let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]) {
            endpoint = HTTPEndpoint(scheme: "http", host: String(hostPort[..<colon]), port: port)
        } else {
            endpoint = HTTPEndpoint(scheme: "http", host: hostPort)
        }
        guard !endpoint.host.isEmpty else { throw StorageError.unsupported("storage.gcs: GCE_METADATA_HOST \"\(host)\" names no host") }
        self.host = hostPort
        var config = HTTPClientConfiguration()
        config.connectTimeout = 3
        config.readTimeout = 5
        config.retry = HTTPRetryPolicy(maxAttempts: 2, retryStatuses: [429, 500, 502, 503, 504])
        let http: HTTPClient
        do { http = try HTTPClient(configuration: config) } catch {
            throw StorageError.unavailable(driver: "gcs", message: "\(error)")
        }
        cache = BearerTokenCache { [hostPort] in
            let request = HTTPClientRequest(method: "GET", endpoint: endpoint, target: Self.tokenPath,
                                            headers: HTTPHeaders([("Metadata-Flavor", "Google")]), body: .empty)
            let answer: TokenEndpointAnswer
            do { answer = try await TokenEndpointAnswer.fetch(request, http: http) } catch {
                throw GCSError(status: 0, message: "no credentials: the GCE metadata server at \(hostPort) did not answer (\(error)); "
                               + "outside GCE set storage.gcs.keyfile, credentials or GOOGLE_APPLICATION_CREDENTIALS")
            }
            guard let token = answer.token else {
                throw GCSError(status: 401, message: "the GCE metadata server at \(hostPort) gave no token: \(answer.reason)")
            }
            return token
        }
    }

    /// A valid access token.
    func token() async throws -> String { try await cache.token() }
}
