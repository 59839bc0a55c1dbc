import Foundation
import WharfAPI
import WharfCrypto
import WharfHTTP
import WharfHTTPClient
import WharfMetrics

/// Why an upstream gave no usable answer: unreachable, or a status the cache cannot use.
struct UpstreamFailure: Error, CustomStringConvertible {
    /// The upstream's status, nil when it could not be reached.
    var status: Int?
    /// The upstream's `Retry-After`, passed on to the client.
    var retryAfter: String?
    var message: String

    var description: String { status.map { "upstream answered \($0): \(message)" } ?? "upstream unreachable: \(message)" }

    /// The answer for a client when nothing is cached: 503 when the upstream is down or
    /// throttling, 502 when it answered something unusable; the OCI error JSON either way.
    var registryError: RegistryError {
        var headers = HTTPHeaders()
        if let retryAfter { headers.set("Retry-After", retryAfter) }
        if status == 429 {
            return RegistryError(.tooManyRequests, message: "upstream registry is rate-limiting", detail: message, status: 503, headers: headers)
        }
        let unavailable = status == nil || status == 503 || status == 504 || status == 429
        return RegistryError(.unknown, message: unavailable ? "upstream registry unavailable" : "bad answer from the upstream registry",
                             detail: message, status: unavailable ? 503 : 502, headers: headers)
    }
}

/// Requests to one upstream registry: Basic credentials, or the token flow its 401
/// challenge asks for (realm, service, scope → bearer token, cached per scope until it
/// expires). TLS trust and HTTP(S) proxies come from the shared ``HTTPClient``.
final class UpstreamClient: @unchecked Sendable {
    let upstream: PullThroughUpstream
    private let client: HTTPClient
    private let metrics: RegistryMetrics?
    private let endpoint: HTTPEndpoint
    private let basePath: String
    private let lock = NSLock()
    private var tokens: [String: (token: String, expires: Date)] = [:]
    /// What the upstream's last challenge asked for: `Basic`, or `Bearer` with its parameters.
    private var challenge: [String: String]?

    init(upstream: PullThroughUpstream, client: HTTPClient, metrics: RegistryMetrics?) throws {
        self.upstream = upstream
        self.client = client
        self.metrics = metrics
        let probe = try HTTPClientRequest(method: "GET", url: upstream.remoteURL)
        endpoint = probe.endpoint
        basePath = probe.target == "/" ? "" : probe.target
    }

    /// Every manifest type the cache stores, so the upstream answers with what it holds.
    static let manifestAccept = [MediaTypes.ociIndex, MediaTypes.ociManifest, MediaTypes.dockerManifestList,
                                 MediaTypes.dockerManifest, MediaTypes.dockerSchema1Signed, MediaTypes.dockerSchema1].joined(separator: ", ")

    /// `method` on `/v2/<remote>/<kind>/<reference>`, authorized; the answer's body streams.
    /// 200s are returned; 404 throws `unknown`; anything else is an ``UpstreamFailure``.
    func fetch(_ method: String, remote: String, kind: String, reference: String,
               unknown: RegistryErrorCode) async throws -> HTTPClientResponse {
        let start = DispatchTime.now().uptimeNanoseconds
        let operation = (kind == "manifests" ? "ManifestService." : "BlobStore.") + (method == "HEAD" ? "Stat" : "Get")
        var code: String? = nil
        defer {
            metrics?.pullThroughCall(registry: upstream.name, operation: operation,
                                     seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, errorCode: code)
        }
        do {
            return try await authorizedFetch(method, remote: remote, kind: kind, reference: reference, unknown: unknown)
        } catch let failure as UpstreamFailure {
            code = failure.status.map(String.init) ?? "UNAVAILABLE"
            throw failure
        } catch let error as RegistryError {
            code = error.code.rawValue
            throw error
        }
    }

    private func authorizedFetch(_ method: String, remote: String, kind: String, reference: String,
                                 unknown: RegistryErrorCode) async throws -> HTTPClientResponse {
        let scope = "repository:\(remote):pull"
        var headers = HTTPHeaders()
        if kind == "manifests" { headers.set("Accept", Self.manifestAccept) }
        let target = "\(basePath)/v2/\(remote)/\(kind)/\(reference)"
        var response = try await send(method, target, headers, scope: scope)
        if response.status == 401 {
            response.body.close()
            try await answerChallenge(response.headers["WWW-Authenticate"], scope: scope)
            response = try await send(method, target, headers, scope: scope)
        }
        switch response.status {
        case 200:
            return response
        case 404:
            response.body.close()
            throw RegistryError(unknown, detail: "\(reference) is not in \(upstream.name)/\(remote)")
        default:
            let detail = (try? await response.body.collect(upTo: 4096)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            throw UpstreamFailure(status: response.status, retryAfter: response.headers["Retry-After"],
                                  message: "\(method) \(target): \(detail.prefix(300))")
        }
    }

    private func send(_ method: String, _ target: String, _ extra: HTTPHeaders, scope: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(method: method, endpoint: endpoint, target: target, headers: extra)
        if let auth = authorization(scope: scope) { request.headers.set("Authorization", auth) }
        do {
            return try await client.execute(request)
        } catch let e as HTTPClientError {
            throw UpstreamFailure(status: nil, message: e.description)
        }
    }

    /// The header for `scope` from what the upstream asked for last time (none before its first challenge).
    private func authorization(scope: String) -> String? {
        lock.withLock {
            guard let challenge else { return nil }
            if challenge["scheme"] == "basic" { return basicCredentials }
            if let t = tokens[scope], t.expires > Date() { return "Bearer \(t.token)" }
            return nil
        }
    }

    private var basicCredentials: String? {
        guard let u = upstream.username else { return nil }
        return "Basic " + Data("\(u):\(upstream.password ?? "")".utf8).base64EncodedString()
    }

    /// Remembers the challenge; for Bearer, fetches a token for `scope` from its realm.
    private func answerChallenge(_ header: String?, scope: String) async throws {
        guard let header, let parsed = Self.parseChallenge(header) else {
            throw UpstreamFailure(status: 401, message: "upstream refused access without a usable challenge")
        }
        lock.withLock { challenge = parsed }
        guard parsed["scheme"] == "bearer" else {
            if basicCredentials == nil { throw UpstreamFailure(status: 401, message: "upstream asks for credentials; none are configured") }
            return
        }
        guard let realm = parsed["realm"], var url = URLComponents(string: realm) else {
            throw UpstreamFailure(status: 401, message: "bearer challenge without a realm")
        }
        var query = url.queryItems ?? []
        if let service = parsed["service"] { query.append(URLQueryItem(name: "service", value: service)) }
        query.append(URLQueryItem(name: "scope", value: scope))
        url.queryItems = query
        var request = try HTTPClientRequest(method: "GET", url: url.string ?? realm)
        if let basic = basicCredentials { request.headers.set("Authorization", basic) }
        let response: HTTPClientResponse
        do { response = try await client.execute(request) } catch let e as HTTPClientError {
            throw UpstreamFailure(status: nil, message: "token endpoint: \(e.description)")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == 200,
              let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let token = (json["token"] as? String) ?? (json["access_token"] as? String) else {
            throw UpstreamFailure(status: response.status == 200 ? 502 : response.status, retryAfter: response.headers["Retry-After"],
                                  message: "token endpoint answered \(response.status)")
        }
        let lifetime = (json["expires_in"] as? Double).map { max(10, $0) } ?? 60
        lock.withLock { tokens[scope] = (token, Date().addingTimeInterval(lifetime - 5)) }
    }

    /// `Bearer realm="...",service="...",scope="..."` → `[scheme: bearer, realm: ..., ...]`.
    static func parseChallenge(_ header: String) -> [String: String]? {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") ?? (trimmed.isEmpty ? nil : trimmed.endIndex) else { return nil }
        var result = ["scheme": trimmed[..<space].lowercased()]
        var rest = trimmed[space...].drop(while: { $0 == " " })
        while !rest.isEmpty {
            guard let eq = rest.firstIndex(of: "=") else { break }
            let key = rest[..<eq].trimmingCharacters(in: CharacterSet(charactersIn: " ,")).lowercased()
            rest = rest[rest.index(after: eq)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let c = rest.first, c != "\"" {
                    if c == "\\" { rest = rest.dropFirst() }
                    if let ch = rest.first { value.append(ch); rest = rest.dropFirst() }
                }
                rest = rest.dropFirst()
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            result[key] = value
            rest = rest.drop(while: { $0 == "," || $0 == " " })
        }
        return result
    }
}
