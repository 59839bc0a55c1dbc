import Foundation
import WharfCrypto
import WharfHTTP
import WharfHTTPClient

/// Access tokens for a service-account key: an RS256 JWT assertion signed with the key,
/// exchanged at the key's `token_uri` (RFC 7523), cached and refreshed a minute before it
/// expires by a ``BearerTokenCache`` (one refresh for concurrent requests). Errors name
/// where the key came from, never the key.
final class GCSServiceAccount: Sendable {
    /// The scope the registry needs: objects read and written.
    static let scope = "https://www.googleapis.com/auth/devstorage.read_write"

    let clientEmail: String
    let keyID: String?
    let tokenURI: String
    let signer: RSASigner
    private let source: String
    private let http: HTTPClient
    private let cache: BearerTokenCache

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
        let tokenURI = key["token_uri"] as? String ?? "https://oauth2.googleapis.com/token"
        self.tokenURI = tokenURI
        self.source = source
        self.http = http
        let signer = signer, keyID = keyID
        cache = BearerTokenCache { [source, http] in
            try await Self.fetch(assertion: try Self.assertion(signer: signer, email: email, keyID: keyID, tokenURI: tokenURI),
                                 tokenURI: tokenURI, source: source, http: http)
        }
    }

    /// A valid access token.
    func token() async throws -> String { try await cache.token() }

    /// The signed assertion for `now`.
    private static func assertion(signer: RSASigner, email: String, keyID: String?, tokenURI: String, now: Date = Date()) throws -> String {
        var header: [String: Any] = ["alg": "RS256", "typ": "JWT"]
        if let keyID { header["kid"] = keyID }
        let iat = Int(now.timeIntervalSince1970)
        let claims: [String: Any] = ["iss": email, "scope": scope, "aud": tokenURI, "iat": iat, "exp": iat + 3600]
        let input = Base64URL.encode(try JSONSerialization.data(withJSONObject: header, options: .sortedKeys)) + "."
            + Base64URL.encode(try JSONSerialization.data(withJSONObject: claims, options: .sortedKeys))
        return input + "." + Base64URL.encode(try signer.sign(Data(input.utf8)))
    }

    /// Exchanges an assertion for a token at `tokenURI`.
    private static func fetch(assertion: String, tokenURI: String, source: String, http: HTTPClient) async throws -> BearerTokenCache.Token {
        let form = TokenEndpointAnswer.form([("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)])
        let request: HTTPClientRequest
        do {
            request = try HTTPClientRequest(method: "POST", url: tokenURI,
                                            headers: HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")]),
                                            body: .bytes(form))
        } catch {
            throw StorageError.unsupported("storage.gcs: token_uri of \(source) is not a URL")
        }
        let answer = try await GCSClient.transport { try await TokenEndpointAnswer.fetch(request, http: http) }
        guard let token = answer.token else {
            throw GCSError(status: answer.status == 200 ? 502 : 401,
                           message: "token exchange at \(tokenURI) for the key in \(source) failed: \(answer.reason)")
        }
        return token
    }
}
