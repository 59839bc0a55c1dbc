import Foundation
import WharfAuth
import WharfHTTP
import XCTest

/// Scopes from token requests and the access each API request needs.
final class RequestClassificationTests: XCTestCase {
    func testScopeParsing() {
        XCTAssertEqual(AccessScope.parse("repository:p/app:pull,push"), AccessScope(type: "repository", name: "p/app", actions: ["pull", "push"]))
        XCTAssertEqual(AccessScope.parse("registry:catalog:*"), AccessScope(type: "registry", name: "catalog", actions: ["*"]))
        XCTAssertEqual(AccessScope.parse("repository:p/app:"), AccessScope(type: "repository", name: "p/app", actions: []))
        XCTAssertNil(AccessScope.parse("repository"))
        XCTAssertNil(AccessScope.parse("repository:pull"))
        XCTAssertNil(AccessScope.parse("::pull"))
        XCTAssertEqual(AccessScope.parseAll(["repository:a/b:pull repository:c/d:push", "junk", "registry:catalog:*"]).count, 3)
    }

    func testRequiredAccess() {
        let cases: [(String, String, RequiredAccess)] = [
            ("GET", "/v2/", .authenticated),
            ("GET", "/v2", .authenticated),
            ("GET", "/healthz", .none),
            ("GET", "/openshift/token", .none),
            ("GET", "/v2/_catalog", .registry(.catalog)),
            ("GET", "/extensions/v2/metrics", .registry(.metrics)),
            ("GET", "/v2/p/a/manifests/v1", .repository(name: "p/a", verb: .pull)),
            ("HEAD", "/v2/p/a/blobs/sha256:00", .repository(name: "p/a", verb: .pull)),
            ("PUT", "/v2/p/a/manifests/v1", .repository(name: "p/a", verb: .push)),
            ("DELETE", "/v2/p/a/manifests/sha256:00", .repository(name: "p/a", verb: .delete)),
            ("DELETE", "/v2/p/a/blobs/sha256:00", .repository(name: "p/a", verb: .delete)),
            ("POST", "/v2/p/a/blobs/uploads/", .repository(name: "p/a", verb: .push)),
            ("GET", "/v2/p/a/blobs/uploads/uuid", .repository(name: "p/a", verb: .push)),
            ("DELETE", "/v2/p/a/blobs/uploads/uuid", .repository(name: "p/a", verb: .push)),
            ("PATCH", "/v2/p/a/blobs/uploads/uuid", .repository(name: "p/a", verb: .push)),
            ("GET", "/v2/p/a/tags/list", .repository(name: "p/a", verb: .pull)),
            ("GET", "/v2/p/a/referrers/sha256:00", .repository(name: "p/a", verb: .pull)),
            ("GET", "/v2/p/blobs/manifests/v1", .repository(name: "p/blobs", verb: .pull)),
            ("GET", "/v2/p/manifests/blobs/sha256:00", .repository(name: "p/manifests", verb: .pull)),
            ("GET", "/v2/nothing-here", .authenticated),
        ]
        for (method, path, expected) in cases {
            // The route table's match, as the router attaches it before auth runs.
            XCTAssertEqual(RequiredAccess.of(HTTPRequest(method: method, target: path)), expected, "\(method) \(path)")
        }
    }

    func testProjectNames() {
        XCTAssertTrue(RepositoryProject.isProjectName("p/a"))
        XCTAssertFalse(RepositoryProject.isProjectName("a"))
        XCTAssertFalse(RepositoryProject.isProjectName("p/t/a"))
        XCTAssertFalse(RepositoryProject.isProjectName("/a"))
        XCTAssertEqual(RepositoryProject.of("p/t/a"), "p")
    }
}
