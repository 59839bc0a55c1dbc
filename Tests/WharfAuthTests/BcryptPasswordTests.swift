import Foundation
import WharfAuth
import XCTest

/// bcrypt through libcrypt, and htpasswd files.
final class BcryptPasswordTests: XCTestCase {
    func testBcrypt() throws {
        let hash = try BcryptPassword.hash("s3cret", cost: 4)
        XCTAssertTrue(hash.hasPrefix("$2b$04$"))
        XCTAssertTrue(BcryptPassword.verify("s3cret", hash: hash))
        XCTAssertFalse(BcryptPassword.verify("s3cret!", hash: hash))
        XCTAssertFalse(BcryptPassword.verify("s3cret", hash: "$1$abc$def"), "only bcrypt")
        // htpasswd -B writes $2y$: the same algorithm.
        let y = "$2y$" + hash.dropFirst(4)
        XCTAssertTrue(BcryptPassword.verify("s3cret", hash: String(y)))
    }

    func testHtpasswdFile() throws {
        let hash = try BcryptPassword.hash("pw", cost: 4)
        let file = try HtpasswdFile(text: "# users\nalice:\(hash)\n\n", origin: "htpasswd")
        XCTAssertTrue(file.verify(user: "alice", password: "pw"))
        XCTAssertFalse(file.verify(user: "alice", password: "pw2"))
        XCTAssertFalse(file.verify(user: "bob", password: "pw"))
        XCTAssertThrowsError(try HtpasswdFile(text: "bob:{SHA}abc\n", origin: "htpasswd")) {
            XCTAssertTrue("\($0)".hasPrefix("htpasswd:1:"))
        }
    }
}
