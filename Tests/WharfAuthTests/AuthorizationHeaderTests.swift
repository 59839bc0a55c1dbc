@testable import WharfAuth
import XCTest

/// The one-pass `Authorization` splitter the authenticator uses on every request.
final class AuthorizationHeaderTests: XCTestCase {
    func testSplitsSchemeAndTrimsCredential() throws {
        let h = try XCTUnwrap(AuthorizationHeader("  Bearer \t abc.def.ghi \t"))
        XCTAssertEqual(h.scheme, "bearer")
        XCTAssertEqual(h.credential, "abc.def.ghi")
        XCTAssertEqual(h.dots, 2)
        let b = try XCTUnwrap(AuthorizationHeader("BASIC\tYW55OnRva2Vu"))
        XCTAssertEqual(b.scheme, "basic")
        XCTAssertEqual(b.credential, "YW55OnRva2Vu")
        XCTAssertEqual(b.dots, 0)
    }

    func testRefusesValuesWithoutACredentialPart() {
        XCTAssertNil(AuthorizationHeader(""))
        XCTAssertNil(AuthorizationHeader("   "))
        XCTAssertNil(AuthorizationHeader("Bearer"))
        let empty = AuthorizationHeader("Bearer   ")
        XCTAssertEqual(empty?.credential, "")
        XCTAssertEqual(empty?.dots, 0)
    }

    func testNonASCIIBytesDoNotCrash() {
        let h = AuthorizationHeader("Bearer é.ü.ß")
        XCTAssertEqual(h?.dots, 2)
        XCTAssertEqual(h?.credential, "é.ü.ß")
    }
}
