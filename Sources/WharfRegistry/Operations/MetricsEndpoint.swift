import Foundation
import WharfAPI
import WharfCrypto
import WharfHTTP
import WharfMetrics

/// `GET /extensions/v2/metrics`: the Prometheus exposition, for callers holding the
/// `openshift.metrics.secret` as `Authorization: Bearer <secret>` or as the password of
/// Basic credentials (`curl -u any:<secret>`). Everyone else gets 401.
///
/// The access check is ``isAuthorized(_:)`` alone, so an auth middleware in front of the
/// route (the metrics role) can grant access by other means and call ``serve(_:)``.
public struct MetricsEndpoint: Sendable {
    /// The route's path.
    public static let path = RouteTable.standard[.metrics]!.pattern.description
    /// The metrics served.
    public let metrics: RegistryMetrics
    /// The bearer secret; nil means no secret grants access.
    public let secret: String?

    /// An endpoint serving `metrics` to holders of `secret`.
    public init(metrics: RegistryMetrics, secret: String?) {
        self.metrics = metrics
        self.secret = secret
    }

    /// The handler: ``serve(_:)`` when authorized, else 401 with a `WWW-Authenticate` challenge.
    public var handler: HTTPHandler {
        let endpoint = self
        return { request in
            guard endpoint.isAuthorized(request) else {
                var error = RegistryError(.unauthorized, detail: "metrics require the configured openshift.metrics.secret")
                error.headers.set("WWW-Authenticate", "Bearer realm=\"metrics\"")
                return error.response
            }
            return endpoint.serve(request)
        }
    }

    /// The exposition, with no access check.
    public func serve(_ request: HTTPRequest) -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["Content-Type": PrometheusText.contentType],
                     body: .bytes(Data(metrics.exposition().utf8)))
    }

    /// True when access control already granted the request (the metrics role), or when
    /// it carries the secret (compared in constant time).
    public func isAuthorized(_ request: HTTPRequest) -> Bool {
        if request.attributes[HTTPRequest.accessGrantedAttribute] == "true" { return true }
        return carriesSecret(request)
    }

    /// True when the request carries the configured secret (compared in constant time).
    public func carriesSecret(_ request: HTTPRequest) -> Bool {
        guard let secret, !secret.isEmpty, let header = request.headers["Authorization"] else { return false }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return false }
        let scheme = parts[0].lowercased()
        let credential = parts[1].trimmingCharacters(in: .whitespaces)
        if scheme == "bearer" { return ConstantTime.equals(credential, secret) }
        if scheme == "basic", let decoded = Data(base64Encoded: credential),
           let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":") {
            return ConstantTime.equals(String(text[text.index(after: colon)...]), secret)
        }
        return false
    }
}
