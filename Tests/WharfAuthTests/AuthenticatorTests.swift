import Foundation
import WharfAPI
import WharfAuth
import WharfCrypto
import WharfHTTP
import XCTest

/// Credentials to identities, and the middleware's answers.
final class AuthenticatorTests: XCTestCase {
    let token = "tok-viewer"

    func makeAuthenticator() throws -> Authenticator {
        let pw = try BcryptPassword.hash("pw", cost: 4)
        let policy = try AccessPolicy(users: [
            PolicyUser(name: "viewer", tokenHashes: [DigestHasher.hex(Data(token.utf8))], passwordHash: pw, groups: []),
        ], bindings: [RoleBinding(role: .registryViewer, subjects: ["user:viewer"], projects: ["p"])])
        let settings = AuthSettings(mode: .openshift(policyPath: ""), realm: "r", signingKey: Array("key".utf8))
        return Authenticator(settings: settings, policies: PolicyStore(policy: policy), htpasswd: nil)
    }

    func basic(_ s: String) -> String { "Basic " + Data(s.utf8).base64EncodedString() }

    func testCredentialForms() throws {
        let a = try makeAuthenticator()
        for header in [basic("anyone:\(token)"), "Bearer \(token)", basic("viewer:pw")] {
            guard case .identity(let i) = a.authenticate(header) else { return XCTFail(header) }
            XCTAssertEqual(i.user, "viewer")
        }
        for header in [basic("viewer:nope"), basic("a:b:\(token)"), "Bearer nope", "Digest x", "Basic", basic("nocolon")] {
            guard case .invalid = a.authenticate(header) else { return XCTFail(header) }
        }
        guard case .none = a.authenticate(nil) else { return XCTFail() }
    }

    /// Basic credentials (bcrypt) are checked off the caller's executor, with the same answers.
    func testOffLoopAuthenticationAgreesAndLeavesTheCallersExecutor() async throws {
        let a = try makeAuthenticator()
        for header in [basic("viewer:pw"), basic("anyone:\(token)"), "bAsIc " + Data("viewer:pw".utf8).base64EncodedString()] {
            guard case .identity(let i) = await a.authenticateOffLoop(header) else { return XCTFail(header) }
            XCTAssertEqual(i.user, "viewer")
        }
        guard case .invalid = await a.authenticateOffLoop(basic("viewer:nope")) else { return XCTFail() }
        guard case .identity = await a.authenticateOffLoop("Bearer \(token)") else { return XCTFail() }
        guard case .none = await a.authenticateOffLoop(nil) else { return XCTFail() }

        // While a slow bcrypt (cost 12) runs for a task pinned to a serial executor, other
        // work on that executor goes on: the check ran elsewhere.
        let slow = try BcryptPassword.hash("slow", cost: 12)
        let b = try Authenticator(settings: AuthSettings(mode: .openshift(policyPath: ""), realm: "r", signingKey: Array("key".utf8)),
                                  policies: PolicyStore(policy: AccessPolicy(users: [
                                      PolicyUser(name: "slow", tokenHashes: [], passwordHash: slow, groups: []),
                                  ], bindings: [])), htpasswd: nil)
        let serial = SerialTestExecutor()
        let order = OrderLog()
        let header = basic("slow:slow")
        let auth = Task(executorPreference: serial) {
            order.add("auth started")
            guard case .identity = await b.authenticateOffLoop(header) else { return XCTFail("slow:slow") }
            order.add("auth done")
        }
        while !order.entries.contains("auth started") { try await Task.sleep(nanoseconds: 1_000_000) }
        await Task(executorPreference: serial) { order.add("probe") }.value
        await auth.value
        XCTAssertEqual(order.entries, ["auth started", "probe", "auth done"])
    }

    func testMiddlewareStatuses() async throws {
        let a = try makeAuthenticator()
        let mw = AuthMiddleware(authenticator: a, logger: Logger(level: .error, format: .text, fields: []))
        let ok: HTTPHandler = { _ in HTTPResponse(status: 200) }
        func status(_ method: String, _ path: String, _ auth: String?) async throws -> HTTPResponse {
            var h = HTTPHeaders()
            h.add("Host", "reg.example")
            if let auth { h.add("Authorization", auth) }
            return try await mw.respond(to: HTTPRequest(method: method, target: path, headers: h), next: ok)
        }
        let anon = try await status("GET", "/v2/p/a/manifests/v1", nil)
        XCTAssertEqual(anon.status, 401)
        XCTAssertEqual(anon.headers["WWW-Authenticate"],
                       #"Bearer realm="http://reg.example/openshift/token",service="reg.example",scope="repository:p/a:pull""#)
        let pull = try await status("GET", "/v2/p/a/manifests/v1", basic("x:\(token)"))
        XCTAssertEqual(pull.status, 200)
        let push = try await status("PUT", "/v2/p/a/manifests/v1", basic("x:\(token)"))
        XCTAssertEqual(push.status, 403)
        let bad = try await status("GET", "/v2/p/a/manifests/v1", basic("x:wrong"))
        XCTAssertEqual(bad.status, 401)
        let health = try await status("GET", "/healthz", nil)
        XCTAssertEqual(health.status, 200)
        let tokenResponse = try await status("GET", "/openshift/token?scope=repository:p/a:pull,push", basic("x:\(token)"))
        XCTAssertEqual(tokenResponse.status, 200)
        guard case .bytes(let body) = tokenResponse.body,
              let doc = try JSONSerialization.jsonObject(with: body) as? [String: Any], let jwt = doc["token"] as? String else {
            return XCTFail("no token")
        }
        let claims = try a.jwt.verify(jwt)
        XCTAssertEqual(claims.access, [GrantedAccess(type: "repository", name: "p/a", actions: ["pull"])])
        let withJWT = try await status("GET", "/v2/p/a/manifests/v1", "Bearer \(jwt)")
        XCTAssertEqual(withJWT.status, 200)
        let otherRepo = try await status("GET", "/v2/p/b/manifests/v1", "Bearer \(jwt)")
        XCTAssertEqual(otherRepo.status, 403)
        // A JWT cannot be exchanged for another token.
        let chained = try await status("GET", "/openshift/token?scope=repository:p/a:pull", "Bearer \(jwt)")
        XCTAssertEqual(chained.status, 401)
    }
}

/// A task executor with one thread of its own.
final class SerialTestExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "serial-test-executor")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Events in the order they happened, from any thread.
final class OrderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.withLock { items.append(s) } }
    var entries: [String] { lock.withLock { items } }
}
