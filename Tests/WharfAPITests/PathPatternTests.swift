import WharfHTTP
import XCTest

/// The byte-wise path split and the single-`{x*}` fast match keep the router's old answers.
final class PathPatternTests: XCTestCase {
    func testSplitKeepsEmptySegmentsAndDropsTheLead() {
        XCTAssertEqual(Array(PathPattern.split("/v2/")), ["v2", ""])
        XCTAssertEqual(Array(PathPattern.split("/")), [""])
        XCTAssertEqual(Array(PathPattern.split("*")), [])
        XCTAssertEqual(Array(PathPattern.split("/v2//a/é/b")), ["v2", "", "a", "é", "b"])
    }

    func testMatch() {
        let p = PathPattern("/v2/{name*}/blobs/{digest}")
        XCTAssertEqual(p.match(PathPattern.split("/v2/a/b/blobs/sha256:00")), ["name": "a/b", "digest": "sha256:00"])
        XCTAssertEqual(p.match(PathPattern.split("/v2/a/blobs/blobs/x")), ["name": "a/blobs", "digest": "x"])
        XCTAssertNil(p.match(PathPattern.split("/v2/blobs/x")))
        XCTAssertNil(p.match(PathPattern.split("/v2/a//b/blobs/x")))
        XCTAssertNil(p.match(PathPattern.split("/v2/a/blobs/")))
        XCTAssertEqual(PathPattern("/v2/").match(PathPattern.split("/v2/")), [:])
        XCTAssertNil(PathPattern("/v2/").match(PathPattern.split("/v2")))
        let two = PathPattern("/x/{a*}/y/{b*}")
        XCTAssertEqual(two.match(PathPattern.split("/x/1/y/2/y/3")), ["a": "1/y/2", "b": "3"])
    }
}
