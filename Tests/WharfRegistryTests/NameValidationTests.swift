import WharfAPI
import XCTest
@testable import WharfRegistry

final class NameValidationTests: XCTestCase {
    func testRepositoryNames() {
        let valid = ["a", "library/ubuntu", "my-project/app", "a.b_c__d---e/f0", "x/y/z/w", "0", "a--b", String(repeating: "a", count: 255)]
        let invalid = ["", "A", "Library/ubuntu", "a/", "/a", "a//b", "-a", "a-", "a_", "a___b", "a..b", "a._b", "a/_b", "a b",
                       "a:b", "a%2fb", String(repeating: "a", count: 256), "a/" + String(repeating: "b", count: 254), "ü"]
        for n in valid { XCTAssertTrue(RepositoryName.isValid(n), n) }
        for n in invalid { XCTAssertFalse(RepositoryName.isValid(n), n) }
        XCTAssertThrowsError(try RepositoryName("Bad")) { XCTAssertEqual(($0 as? RegistryError)?.code, .nameInvalid) }
    }

    func testTags() {
        let valid = ["latest", "v1.0", "_x", "A-b.c_d", "0", String(repeating: "a", count: 128)]
        let invalid = ["", ".x", "-x", "a/b", "a:b", "a+b", String(repeating: "a", count: 129), "é"]
        for t in valid { XCTAssertTrue(Tag.isValid(t), t) }
        for t in invalid { XCTAssertFalse(Tag.isValid(t), t) }
    }

    func testDigests() throws {
        let sha256 = "sha256:" + String(repeating: "a", count: 64)
        let sha512 = "sha512:" + String(repeating: "0", count: 128)
        XCTAssertEqual(try Digest(parsing: sha256).algorithm, .sha256)
        XCTAssertEqual(try Digest(parsing: sha512).algorithm, .sha512)
        XCTAssertEqual(try Digest(parsing: sha256).string, sha256)
        let invalid = ["", "sha256", "sha256:", ":" + String(repeating: "a", count: 64),
                       "sha256:" + String(repeating: "A", count: 64),        // upper-case hex
                       "sha256:" + String(repeating: "a", count: 63),
                       "sha256:" + String(repeating: "a", count: 65),
                       "sha256:" + String(repeating: "g", count: 64),
                       "sha512:" + String(repeating: "a", count: 64),
                       "md5:d41d8cd98f00b204e9800998ecf8427e",                  // unsupported algorithm
                       "SHA256:" + String(repeating: "a", count: 64),
                       "sha256:" + String(repeating: "a", count: 64) + "\n"]
        for d in invalid {
            XCTAssertThrowsError(try Digest(parsing: d), d) { XCTAssertEqual(($0 as? RegistryError)?.code, .digestInvalid) }
        }
    }

    func testReferences() throws {
        XCTAssertEqual(try Reference(parsing: "v1"), .tag(Tag("v1")!))
        let d = "sha256:" + String(repeating: "b", count: 64)
        XCTAssertEqual(try Reference(parsing: d), .digest(try Digest(parsing: d)))
        XCTAssertThrowsError(try Reference(parsing: "sha256:zz")) { XCTAssertEqual(($0 as? RegistryError)?.code, .digestInvalid) }
        XCTAssertThrowsError(try Reference(parsing: ".bad")) { XCTAssertEqual(($0 as? RegistryError)?.code, .tagInvalid) }
    }

    func testContentRangeAndByteRange() {
        XCTAssertEqual(ContentRange("0-99"), ContentRange("bytes=0-99"))
        XCTAssertEqual(ContentRange("5-9")?.length, 5)
        XCTAssertNil(ContentRange("9-5"))
        XCTAssertNil(ContentRange("a-b"))
        XCTAssertNil(ContentRange("-5"))
        XCTAssertNil(ContentRange("0-99999999999999999999999"))
        XCTAssertEqual(ByteRange.parse("bytes=0-9", size: 100), .satisfiable(start: 0, end: 9))
        XCTAssertEqual(ByteRange.parse("bytes=90-", size: 100), .satisfiable(start: 90, end: 99))
        XCTAssertEqual(ByteRange.parse("bytes=-10", size: 100), .satisfiable(start: 90, end: 99))
        XCTAssertEqual(ByteRange.parse("bytes=50-500", size: 100), .satisfiable(start: 50, end: 99))
        XCTAssertEqual(ByteRange.parse("bytes=100-", size: 100), .unsatisfiable)
        XCTAssertEqual(ByteRange.parse("bytes=0-1,5-6", size: 100), .whole)
        XCTAssertEqual(ByteRange.parse(nil, size: 100), .whole)
    }
}
