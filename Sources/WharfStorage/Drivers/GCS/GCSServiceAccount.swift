import Foundation
import WharfCrypto
import WharfHTTP
import WharfHTTPClient

/// Access tokens for a service-account key: an RS256 JWT assertion signed with the key,
/// exchanged at the key's `token_uri` (RFC 7523), cached and refreshed a minute before it
/// expires. Concurrent requests share one refresh. Errors name where the key came from,
/// never the key.
actor GCSServiceAccount {
    /// The scope the registry needs: objects read and written.
    static let scope = "https://www.googleapis.com/auth/devstorage.read_write"
    /// How long before its expiry a token is replaced.
    static let refreshMargin: TimeInterval = 60

    nonisolated let clientEmail: String
    let keyID: String?
    let tokenURI: String
    nonisolated let signer: RSASigner
    private let source: String
    private let http: HTTPClient
    private var cached: (token: String, expires: Date)?
    private var refreshing: Task<(String, Date), Error>?
    /// Tokens fetched so far (tests read it).
    private(set) var refreshCount = 0

    /// - Throws: ``StorageError/unsupported(_:)`` naming `source` when the JSON is not a service-account key.
    init(json: Data, source: String, http: HTTPClient) throws {
        guard let key = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any],
              let email = key["client_email"] as? String, let pem = key["private_key"] as? String else {
            throw StorageError.unsupported("storage.gcs: \(source) is not a service-account key (client_email, private_key)")
        }
        do { signer = try RSASigner(pem: pem) } catch {
            throw StorageError.unsupported("storage.gcs: the private key in \(source) is unusable: \(error)")
        }
        clientEmail = email
        keyID = key["private_key_id"] as? String
        tokenURI = key["token_uri"] as? String ?? "https://oauth2.googleapis.com/token"
        self.source = source
        self.http = http
    }

    /// A valid access token: the cached one, or a fresh one (one refresh for all callers).
    func token() async throws -> String {
        if let cached, cached.expires.timeIntervalSinceNow > Self.refreshMargin { return cached.token }
        if let refreshing { return try await refreshing.value.0 }
        let task = Task { try await self.fetch() }
        refreshing = task
        defer { refreshing = nil }
        let fresh = try await task.value
        cached = fresh
        refreshCount += 1
        return fresh.0
    }

    /// The signed assertion for `now`.
    func assertion(now: Date = Date()) throws -> String {
        var header: [String: Any] = ["alg": "RS256", "typ": "JWT"]
        if let keyID { header["kid"] = keyID }
        let iat = Int(now.timeIntervalSince1970)
        let claims: [String: Any] = ["iss": clientEmail, "scope": Self.scope, "aud": tokenURI, "iat": iat, "exp": iat + 3600]
        let input = Base64URL.encode(try JSONSerialization.data(withJSONObject: header, options: .sortedKeys)) + "."
            + Base64URL.encode(try JSONSerialization.data(withJSONObject: claims, options: .sortedKeys))
        return input + "." + Base64URL.encode(try signer.sign(Data(input.utf8)))
    }

    /// Exchanges a new assertion for a token at ``tokenURI``.
    private func fetch() async throws -> (String, Date) {
        let form = "grant_type=" + GCSClient.encode("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + (try assertion())
        let request: HTTPClientRequest
        do {
            var r = try HTTPClientRequest(method: "POST", url: tokenURI,
                                          headers: HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")]),
                                          body: .bytes(Data(form.utf8)))
            r.idempotent = true
            request = r
        } catch {
            throw StorageError.unsupported("storage.gcs: token_uri of \(source) is not a URL")
        }
        let answer = try await GCSClient.transport { try await http.execute(request) }
        let body = try await GCSClient.transport { try await answer.body.collect(upTo: 1 << 20) }
        let json = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        guard answer.status == 200, let token = json["access_token"] as? String else {
            let reason = json["error_description"] as? String ?? json["error"] as? String ?? "HTTP \(answer.status)"
            throw GCSError(status: answer.status == 200 ? 502 : 401,
                           message: "token exchange at \(tokenURI) for the key in \(source) failed: \(reason)")
        }
        let lifetime = (json["expires_in"] as? NSNumber)?.doubleValue ?? 3600
        return (token, Date().addingTimeInterval(lifetime))
    }
}
