import Foundation
import WharfHTTP
import WharfHTTPClient

/// Bearer tokens for ``AzureCredentials/clientSecret(tenantID:clientID:secret:authorityHost:)``
/// (`POST <authority>/<tenant>/oauth2/v2.0/token`, grant `client_credentials`, scope
/// `https://storage.azure.com/.default`) and for a managed identity (`GET` of the identity
/// endpoint with `resource=https://storage.azure.com/`, and `X-IDENTITY-HEADER` or IMDS's
/// `Metadata: true`), cached and refreshed by a ``BearerTokenCache``. Errors name the
/// endpoint and the client id, never the secret.
enum AzureTokenSource {
    /// The token cache of `credentials`; nil for SharedKey.
    ///
    /// - Throws: ``StorageError/unsupported(_:)`` for an endpoint that is not a URL.
    static func cache(for credentials: AzureCredentials, http: HTTPClient) throws -> BearerTokenCache? {
        switch credentials {
        case .sharedKey:
            return nil
        case let .clientSecret(tenant, clientID, secret, authority):
            var base = authority
            while base.hasSuffix("/") { base.removeLast() }
            let url = "\(base)/\(AzureClient.encode(tenant))/oauth2/v2.0/token"
            let form = TokenEndpointAnswer.form([("grant_type", "client_credentials"), ("client_id", clientID),
                                                 ("client_secret", secret), ("scope", AzureCredentials.scope)])
            let request = try request("POST", url, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
            return BearerTokenCache {
                try await token(request, http: http, what: "the client_secret grant at \(url) for client \(clientID)")
            }
        case let .managedIdentity(endpoint, header, clientID):
            var query = header == nil ? "api-version=2018-02-01" : "api-version=2019-08-01"
            query += "&resource=" + AzureClient.encode(AzureCredentials.resource)
            if let clientID { query += "&client_id=" + AzureClient.encode(clientID) }
            let url = endpoint + (endpoint.contains("?") ? "&" : "?") + query
            let request = try request("GET", url, headers: header.map { [("X-IDENTITY-HEADER", $0)] } ?? [("Metadata", "true")], body: nil)
            // The identity endpoint is local to the host: a short timeout and no proxy.
            var config = HTTPClientConfiguration()
            config.connectTimeout = 3
            config.readTimeout = 10
            config.retry = HTTPRetryPolicy(maxAttempts: 3, retryStatuses: [404, 429, 500, 502, 503, 504])
            let local: HTTPClient
            do { local = try HTTPClient(configuration: config) } catch {
                throw StorageError.unavailable(driver: "azure", message: "\(error)")
            }
            return BearerTokenCache {
                try await token(request, http: local, what: "the managed identity endpoint \(endpoint)")
            }
        }
    }

    private static func request(_ method: String, _ url: String, headers: [(String, String)], body: Data?) throws -> HTTPClientRequest {
        do {
            return try HTTPClientRequest(method: method, url: url, headers: HTTPHeaders(headers), body: body.map { .bytes($0) } ?? .empty)
        } catch {
            throw StorageError.unsupported("storage.azure.credentials: not a URL: \(url)")
        }
    }

    private static func token(_ request: HTTPClientRequest, http: HTTPClient, what: String) async throws -> BearerTokenCache.Token {
        let answer: TokenEndpointAnswer
        do { answer = try await TokenEndpointAnswer.fetch(request, http: http) } catch {
            throw AzureError(status: 0, code: "TokenEndpointUnreachable", message: "\(what): \(error)")
        }
        guard let token = answer.token else {
            throw AzureError(status: 401, code: "TokenRefused", message: "\(what) gave no token: \(answer.reason)")
        }
        return token
    }
}
