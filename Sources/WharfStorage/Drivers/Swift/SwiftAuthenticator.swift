import Foundation
import WharfHTTP
import WharfHTTPClient

/// A token and the storage URL it is good for (`https://host/v1/AUTH_project`).
struct SwiftSession: Sendable, Equatable {
    var token: String
    var storageURL: String
}

/// Logs in to the identity service and keeps the session until it is invalidated (a 401):
///
/// - v1 (tempauth, swauth): `GET authurl` with `X-Auth-User`/`X-Auth-Key`; the answer's
///   `X-Storage-Url` and `X-Auth-Token`. With a `tenant` and a user without `:`, the user is
///   `tenant:username`.
/// - v2 (Keystone): `POST <authurl>/tokens` with `passwordCredentials` and the tenant; the
///   token is `access.token.id`.
/// - v3 (Keystone): `POST <authurl>/auth/tokens` with the password method, the user's domain
///   and a project (or trust) scope; the token is the `X-Subject-Token` header.
///
/// v2 and v3 pick the object-store endpoint from the token's catalog by region and
/// interface (``SwiftCatalog``). Concurrent callers share one login.
final class SwiftAuthenticator: @unchecked Sendable {
    private let configuration: SwiftConfiguration
    private let http: HTTPClient
    private let lock = NSLock()
    private var current: SwiftSession?
    private var login: Task<SwiftSession, Error>?

    init(configuration: SwiftConfiguration, http: HTTPClient) {
        self.configuration = configuration
        self.http = http
    }

    /// The current session, logging in when there is none.
    func session() async throws -> SwiftSession {
        let task: Task<SwiftSession, Error> = lock.withLock {
            if let current { return Task { current } }
            if let login { return login }
            let t = Task { try await self.authenticate() }
            login = t
            return t
        }
        do {
            let s = try await task.value
            lock.withLock { current = s; login = nil }
            return s
        } catch {
            lock.withLock { login = nil }
            throw error
        }
    }

    /// Forgets `session` (its token was refused), so the next call logs in again.
    func invalidate(_ session: SwiftSession) {
        lock.withLock { if current == session { current = nil } }
    }

    private func authenticate() async throws -> SwiftSession {
        switch configuration.authVersion {
        case 1: return try await authenticateV1()
        case 2: return try await authenticateV2()
        default: return try await authenticateV3()
        }
    }

    private func authenticateV1() async throws -> SwiftSession {
        var user = configuration.username
        if let tenant = configuration.tenant, !user.contains(":") { user = tenant + ":" + user }
        let r = try await post(url: configuration.authURL, method: "GET", body: nil,
                               headers: [("X-Auth-User", user), ("X-Auth-Key", configuration.password)])
        guard let token = r.headers["X-Auth-Token"] ?? r.headers["X-Storage-Token"], let url = r.headers["X-Storage-Url"] else {
            throw SwiftError(status: r.status, message: "v1 auth answer without X-Auth-Token and X-Storage-Url")
        }
        return SwiftSession(token: token, storageURL: url)
    }

    private func authenticateV2() async throws -> SwiftSession {
        var auth: [String: Any] = ["passwordCredentials": ["username": configuration.username, "password": configuration.password]]
        if let id = configuration.tenantID { auth["tenantId"] = id } else if let name = configuration.tenant { auth["tenantName"] = name }
        let url = configuration.authURL.hasSuffix("/tokens") ? configuration.authURL : configuration.authURL + "/tokens"
        let r = try await post(url: url, body: try JSONSerialization.data(withJSONObject: ["auth": auth]))
        let access = r.json["access"] as? [String: Any] ?? [:]
        guard let token = (access["token"] as? [String: Any])?["id"] as? String else {
            throw SwiftError(status: r.status, message: "v2 token answer without access.token.id")
        }
        let storage = try SwiftCatalog.v2(access["serviceCatalog"], region: configuration.region, interface: configuration.endpointType)
        return SwiftSession(token: token, storageURL: storage)
    }

    private func authenticateV3() async throws -> SwiftSession {
        let url = configuration.authURL.hasSuffix("/auth/tokens") ? configuration.authURL : configuration.authURL + "/auth/tokens"
        let r = try await post(url: url, body: try JSONSerialization.data(withJSONObject: Self.v3Body(configuration)))
        guard let token = r.headers["X-Subject-Token"] else {
            throw SwiftError(status: r.status, message: "v3 token answer without X-Subject-Token")
        }
        let storage = try SwiftCatalog.v3((r.json["token"] as? [String: Any])?["catalog"],
                                          region: configuration.region, interface: configuration.endpointType)
        return SwiftSession(token: token, storageURL: storage)
    }

    /// The v3 password request: the user (by name in its domain), scoped to the trust, the
    /// project (by id, or by name in its domain: `tenantdomain*`, else the user's), or unscoped.
    static func v3Body(_ c: SwiftConfiguration) -> [String: Any] {
        func domain(id: String?, name: String?) -> [String: Any]? {
            if let id { return ["id": id] }
            return name.map { ["name": $0] }
        }
        var user: [String: Any] = ["name": c.username, "password": c.password]
        if let d = domain(id: c.domainID, name: c.domain) { user["domain"] = d }
        var auth: [String: Any] = ["identity": ["methods": ["password"], "password": ["user": user]]]
        if let trust = c.trustID {
            auth["scope"] = ["OS-TRUST:trust": ["id": trust]]
        } else if let id = c.tenantID {
            auth["scope"] = ["project": ["id": id]]
        } else if let name = c.tenant {
            var project: [String: Any] = ["name": name]
            if let d = domain(id: c.tenantDomainID, name: c.tenantDomain) ?? domain(id: c.domainID, name: c.domain) {
                project["domain"] = d
            }
            auth["scope"] = ["project": project]
        }
        return ["auth": auth]
    }

    /// Sends one identity request; anything but 2xx is a ``SwiftError``.
    private func post(url: String, method: String = "POST", body: Data?, headers: [(String, String)] = []) async throws -> SwiftResponse {
        var h = HTTPHeaders(headers)
        if body != nil { h.set("Content-Type", "application/json") }
        h.set("Accept", "application/json")
        let request: HTTPClientRequest
        do {
            request = try HTTPClientRequest(method: method, url: url, headers: h, body: body.map { .bytes($0) } ?? .empty)
        } catch {
            throw SwiftError(status: 400, message: "bad authurl \(url): \(error)")
        }
        let r = try await SwiftClient.transport {
            let answer = try await http.execute(request)
            return SwiftResponse(status: answer.status, headers: answer.headers, body: try await answer.body.collect(upTo: 16 << 20))
        }
        guard (200..<300).contains(r.status) else {
            throw SwiftError(status: r.status == 401 || r.status == 403 ? 401 : r.status,
                             message: "authentication at \(url) failed: HTTP \(r.status)")
        }
        return r
    }
}

/// Finds the object-store endpoint in a Keystone service catalog.
enum SwiftCatalog {
    /// v2: `serviceCatalog[type=object-store].endpoints[region].<interface>URL`.
    static func v2(_ catalog: Any?, region: String?, interface: String) throws -> String {
        for service in catalog as? [[String: Any]] ?? [] where service["type"] as? String == "object-store" {
            for e in service["endpoints"] as? [[String: Any]] ?? [] where region == nil || e["region"] as? String == region {
                if let url = e[interface + "URL"] as? String { return url }
            }
        }
        throw notFound(region: region, interface: interface)
    }

    /// v3: `catalog[type=object-store].endpoints[interface, region or region_id].url`.
    static func v3(_ catalog: Any?, region: String?, interface: String) throws -> String {
        for service in catalog as? [[String: Any]] ?? [] where service["type"] as? String == "object-store" {
            for e in service["endpoints"] as? [[String: Any]] ?? [] where e["interface"] as? String == interface {
                if let region, e["region"] as? String != region, e["region_id"] as? String != region { continue }
                if let url = e["url"] as? String { return url }
            }
        }
        throw notFound(region: region, interface: interface)
    }

    private static func notFound(region: String?, interface: String) -> SwiftError {
        SwiftError(status: 0, message: "no object-store endpoint in the token's catalog for interface \(interface)"
                   + (region.map { " in region \($0)" } ?? ""))
    }
}
