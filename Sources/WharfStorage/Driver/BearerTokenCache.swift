import Foundation
import WharfHTTP
import WharfHTTPClient

/// One OAuth2 bearer token for a cloud driver's requests, cached and replaced
/// ``refreshMargin`` before it expires. Concurrent callers share one refresh. The drivers
/// give it how a token is fetched (a GCS service-account grant, the GCE metadata server,
/// Azure's client-credentials grant or managed identity).
actor BearerTokenCache {
    /// A token and when it stops being valid.
    typealias Token = (value: String, expires: Date)

    /// How long before its expiry a token is replaced.
    let refreshMargin: TimeInterval
    private let fetch: @Sendable () async throws -> Token
    private var cached: Token?
    private var refreshing: Task<Token, Error>?
    /// Tokens fetched so far (tests read it).
    private(set) var refreshCount = 0

    init(refreshMargin: TimeInterval = 60, fetch: @escaping @Sendable () async throws -> Token) {
        self.refreshMargin = refreshMargin
        self.fetch = fetch
    }

    /// A valid token: the cached one, or a fresh one (one refresh for all callers).
    func token() async throws -> String {
        if let cached, cached.expires.timeIntervalSinceNow > refreshMargin { return cached.value }
        if let refreshing { return try await refreshing.value.value }
        let task = Task { try await fetch() }
        refreshing = task
        defer { refreshing = nil }
        let fresh = try await task.value
        cached = fresh
        refreshCount += 1
        return fresh.value
    }
}

/// A token endpoint's answer: `access_token` and its lifetime (`expires_in`, or the epoch
/// `expires_on`; numbers or, from Azure's managed-identity endpoints, strings), or the
/// reason it gave none.
struct TokenEndpointAnswer {
    var status: Int
    var json: [String: Any]

    /// Sends `request` (made idempotent: a token request changes nothing) and reads the JSON answer.
    static func fetch(_ request: HTTPClientRequest, http: HTTPClient) async throws -> TokenEndpointAnswer {
        var r = request
        r.idempotent = true
        let answer = try await http.execute(r)
        let body = try await answer.body.collect(upTo: 1 << 20)
        return TokenEndpointAnswer(status: answer.status,
                                   json: (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:])
    }

    /// The token when the answer is a 200 with one.
    var token: BearerTokenCache.Token? {
        guard status == 200, let value = json["access_token"] as? String, !value.isEmpty else { return nil }
        func seconds(_ key: String) -> Double? {
            (json[key] as? NSNumber)?.doubleValue ?? (json[key] as? String).flatMap(Double.init)
        }
        if let lifetime = seconds("expires_in") { return (value, Date().addingTimeInterval(lifetime)) }
        if let epoch = seconds("expires_on") { return (value, Date(timeIntervalSince1970: epoch)) }
        return (value, Date().addingTimeInterval(3600))
    }

    /// Why no token came back: the endpoint's `error_description` or `error`, else the status.
    var reason: String {
        json["error_description"] as? String ?? json["error"] as? String ?? "HTTP \(status)"
    }

    /// A form body (`application/x-www-form-urlencoded`) of `fields`.
    static func form(_ fields: [(String, String)]) -> Data {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return Data(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }
            .joined(separator: "&").utf8)
    }
}
