import Foundation
import WharfAuth
import WharfCrypto
import XCTest

/// HS256 signing and the strict checks on verification.
final class JSONWebTokenTests: XCTestCase {
    let jwt = JSONWebToken(key: Array("k".utf8), issuer: "wharf", audience: "reg")
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    func claims(_ change: (inout TokenClaims) -> Void = { _ in }) -> TokenClaims {
        var c = TokenClaims(issuer: "wharf", subject: "alice", audience: "reg", issuedAt: 1_700_000_000,
                            notBefore: 1_700_000_000, expiresAt: 1_700_000_300, id: "j",
                            access: [GrantedAccess(type: "repository", name: "p/a", actions: ["pull"])])
        change(&c)
        return c
    }

    func testRoundTrip() throws {
        let back = try jwt.verify(jwt.sign(claims()), now: now)
        XCTAssertEqual(back, claims())
    }

    /// Found by the JWT fuzzer: Foundation on Linux reads the JSON numbers 0 and 1 as
    /// booleans too, so a token whose `iat` or `nbf` was 0 or 1 was refused as malformed (and
    /// one whose `exp` was `true` could pass as 1). Numbers are numbers; booleans are not.
    func testSmallTimesAreNumbersAndBooleansAreNot() throws {
        for t: Int64 in [0, 1] {
            let c = claims { $0.issuedAt = t; $0.notBefore = t }
            XCTAssertEqual(try jwt.verify(jwt.sign(c), now: now), c)
        }
        for body in [#"{"iss":"wharf","aud":"reg","iat":true,"exp":1700000300}"#,
                     #"{"iss":"wharf","aud":"reg","iat":2,"exp":true}"#] {
            let input = Base64URL.encode(Array(#"{"alg":"HS256"}"#.utf8)) + "." + Base64URL.encode(Array(body.utf8))
            let token = input + "." + Base64URL.encode(HMAC.sign(key: Array("k".utf8), message: Array(input.utf8)))
            XCTAssertThrowsError(try jwt.verify(token, now: Date(timeIntervalSince1970: 0)), body)
        }
    }

    func testTamperedPayloadRefused() throws {
        let parts = jwt.sign(claims()).split(separator: ".").map(String.init)
        let evil = jwt.sign(claims { $0.access[0].actions = ["pull", "push"] }).split(separator: ".").map(String.init)
        XCTAssertThrowsError(try jwt.verify("\(parts[0]).\(evil[1]).\(parts[2])", now: now)) {
            XCTAssertEqual($0 as? JSONWebTokenError, .badSignature)
        }
    }

    func testOtherKeyRefused() {
        let other = JSONWebToken(key: Array("x".utf8), issuer: "wharf", audience: "reg")
        XCTAssertThrowsError(try jwt.verify(other.sign(claims()), now: now)) {
            XCTAssertEqual($0 as? JSONWebTokenError, .badSignature)
        }
    }

    func testExpiredNotYetValidWrongIssuerAudience() {
        let cases: [(TokenClaims, JSONWebTokenError)] = [
            (claims { $0.expiresAt = 1_699_999_999 }, .expired),
            (claims { $0.expiresAt = 1_700_000_000 }, .expired),
            (claims { $0.notBefore = 1_700_000_100 }, .notYetValid),
            (claims { $0.issuedAt = 1_700_000_100 }, .notYetValid),
            (claims { $0.issuer = "mallory" }, .wrongIssuer),
            (claims { $0.audience = "elsewhere" }, .wrongAudience),
        ]
        for (c, expected) in cases {
            XCTAssertThrowsError(try jwt.verify(jwt.sign(c), now: now)) { XCTAssertEqual($0 as? JSONWebTokenError, expected) }
        }
    }

    func testAlgNoneAndOtherAlgorithmsRefused() {
        let body = jwt.sign(claims()).split(separator: ".")[1]
        for alg in ["none", "None", "HS512", "RS256", "ES256"] {
            let header = Base64URL.encode(Array(#"{"alg":"\#(alg)","typ":"JWT"}"#.utf8))
            let signingInput = "\(header).\(body)"
            let sig = Base64URL.encode(HMAC.sign(key: Array("k".utf8), message: Array(signingInput.utf8)))
            for token in ["\(signingInput).", "\(signingInput).\(sig)"] {
                XCTAssertThrowsError(try jwt.verify(token, now: now)) {
                    XCTAssertEqual($0 as? JSONWebTokenError, .unsupportedAlgorithm(alg))
                }
            }
        }
    }

    func testMalformed() {
        for token in ["", "a", "a.b", "a.b.c", "..", "a.b.c.d", String(repeating: "a", count: 20000) + ".b.c"] {
            XCTAssertThrowsError(try jwt.verify(token, now: now), token)
        }
    }
}
