import Foundation
import WharfAuth
import WharfCrypto
import XCTest

/// Failed password checks are throttled per address and per user name; unknown users cost a bcrypt.
final class AuthFailureThrottleTests: XCTestCase {
    func testBackoffStartsAfterTheFreeFailuresAndGrows() {
        let t = AuthFailureThrottle(freeFailures: 5, maxBackoff: 30, window: 300)
        for i in 0..<5 {
            XCTAssertNil(t.retryAfter(address: "10.0.0.1:1", user: "alice", now: Double(i)))
            t.failed(address: "10.0.0.1:1", user: "alice", now: Double(i))
        }
        XCTAssertEqual(t.retryAfter(address: "10.0.0.1:2", user: "alice", now: 4.1), 1)
        // Per address (any port) and per name, independently.
        XCTAssertEqual(t.retryAfter(address: "10.0.0.1:3", user: "bob", now: 4.1), 1)
        XCTAssertEqual(t.retryAfter(address: "10.0.0.2:3", user: "alice", now: 4.1), 1)
        XCTAssertNil(t.retryAfter(address: "10.0.0.2:3", user: "bob", now: 4.1))
        XCTAssertNil(t.retryAfter(address: "10.0.0.1:1", user: "alice", now: 5.1))
        t.failed(address: "10.0.0.1:1", user: "alice", now: 5.1)
        XCTAssertEqual(t.retryAfter(address: "10.0.0.1:1", user: "alice", now: 5.2), 2)
        // A success clears the name, not the address.
        t.succeeded(user: "alice")
        XCTAssertNil(t.retryAfter(address: "10.0.0.2:1", user: "alice", now: 5.2))
        XCTAssertEqual(t.retryAfter(address: "10.0.0.1:1", user: "carol", now: 5.2), 2)
        // Forgotten after the window.
        XCTAssertNil(t.retryAfter(address: "10.0.0.1:1", user: "carol", now: 400))
    }

    func testIPv6AddressesKeyOnTheHost() {
        let t = AuthFailureThrottle(freeFailures: 1)
        t.failed(address: "[::1]:4000", user: "a", now: 0)
        XCTAssertEqual(t.retryAfter(address: "[::1]:4001", user: "b", now: 0.5), 1)
    }

    func testThrottledAttemptsAreRefusedButProvenCredentialsPass() throws {
        let pw = try BcryptPassword.hash("pw", cost: 4)
        let policy = try AccessPolicy(users: [PolicyUser(name: "u", tokenHashes: [], passwordHash: pw, groups: [])], bindings: [])
        let a = Authenticator(settings: AuthSettings(mode: .openshift(policyPath: ""), realm: "r", signingKey: Array("k".utf8)),
                              policies: PolicyStore(policy: policy), htpasswd: nil)
        let good = "Basic " + Data("u:pw".utf8).base64EncodedString()
        let bad = "Basic " + Data("u:nope".utf8).base64EncodedString()
        guard case .identity = a.authenticate(good, clientAddress: "1.2.3.4:5") else { return XCTFail() }
        var answers: [String] = []
        for _ in 0..<10 {
            switch a.authenticate(bad, clientAddress: "1.2.3.4:5") {
            case .invalid: answers.append("invalid")
            case .throttled: answers.append("throttled")
            default: answers.append("?")
            }
        }
        XCTAssertEqual(answers, Array(repeating: "invalid", count: 5) + Array(repeating: "throttled", count: 5))
        guard case .identity = a.authenticate(good, clientAddress: "1.2.3.4:5") else { return XCTFail("proven credential") }
    }

    /// A user that does not exist costs one bcrypt at the policy's cost, like a wrong password.
    func testUnknownUserCostsABcrypt() throws {
        let pw = try BcryptPassword.hash("pw", cost: 12)
        let policy = try AccessPolicy(users: [PolicyUser(name: "u", tokenHashes: [], passwordHash: pw, groups: [])], bindings: [])
        let a = Authenticator(settings: AuthSettings(mode: .openshift(policyPath: ""), realm: "r", signingKey: Array("k".utf8)),
                              policies: PolicyStore(policy: policy), htpasswd: nil)
        func time(_ user: String, _ address: String) -> Double {
            let t0 = Date()
            _ = a.authenticate("Basic " + Data("\(user):nope".utf8).base64EncodedString(), clientAddress: address)
            return Date().timeIntervalSince(t0)
        }
        _ = time("nosuch-warmup", "9.9.9.9:1")  // makes the dummy hash once
        let known = time("u", "1.1.1.1:1")
        let unknown = time("nosuch", "2.2.2.2:1")
        XCTAssertGreaterThan(unknown, known * 0.5, "unknown \(unknown) s vs known \(known) s")
    }
}
