import WharfAPI
import WharfHTTP
import XCTest

/// The standard route table: complete, unique, every route with access and a metric name.
final class RouteTableTests: XCTestCase {
    let table = RouteTable.standard

    func testEveryRouteIDIsDefinedOnce() {
        XCTAssertEqual(table.routes.count, RouteID.allCases.count)
        for id in RouteID.allCases {
            XCTAssertEqual(table.routes.filter { $0.id == id }.count, 1, "\(id)")
        }
        XCTAssertEqual(Set(table.routes.map(\.description)).count, table.routes.count, "method + pattern unique")
    }

    func testRegistryOperationsAreNamedForMetrics() {
        for route in table.routes {
            switch route.access {
            case .repository, .catalog:
                XCTAssertNotNil(route.operation, "\(route) has no metric operation name")
            case .metrics, .admin, .tokenEndpoint, .health, .authenticated:
                XCTAssertNil(route.operation, "\(route)")
            }
        }
        XCTAssertEqual(table[.blobGet]?.operation(for: "GET"), "BlobStore.ServeBlob")
        XCTAssertEqual(table[.blobGet]?.operation(for: "HEAD"), "BlobStore.Stat")
        XCTAssertEqual(table[.manifestGet]?.operation(for: "HEAD"), "ManifestService.Exists")
        XCTAssertEqual(table[.uploadStart]?.operation(for: "POST"), "BlobStore.Create")
        XCTAssertEqual(table[.tagsList]?.operation(for: "HEAD"), "TagService.All")
        XCTAssertEqual(table[.manifestGet]?.methods, ["GET", "HEAD"])
        XCTAssertEqual(table[.manifestPut]?.methods, ["PUT"])
    }

    func testMatchFindsRouteAndParameters() {
        let (m, params) = table.match(method: "GET", path: "/v2/p/blobs/manifests/v1")
        XCTAssertEqual(m.route?.id, .manifestGet)
        XCTAssertEqual(m.outcome, .found)
        XCTAssertEqual(params, ["name": "p/blobs", "reference": "v1"])
        let (head, _) = table.match(method: "HEAD", path: "/v2/a/b/blobs/sha256:00")
        XCTAssertEqual(head.route?.id, .blobGet)
        let (upload, p2) = table.match(method: "PATCH", path: "/v2/a/blobs/uploads/u-1")
        XCTAssertEqual(upload.route?.id, .uploadPatch)
        XCTAssertEqual(p2, ["name": "a", "uuid": "u-1"])
        XCTAssertEqual(table.match(method: "GET", path: "/v2/").0.route?.id, .base)
        XCTAssertEqual(table.match(method: "GET", path: "/").0.route?.id, .root)
    }

    func testOutcomes() {
        XCTAssertEqual(table.match(method: "POST", path: "/v2/a/tags/list").0.outcome, .methodNotAllowed)
        XCTAssertEqual(table.match(method: "GET", path: "/v2/a/nothing").0.outcome, .notFound)
        XCTAssertEqual(table.match(method: "GET", path: "/elsewhere").0.outcome, .notFound)
        XCTAssertTrue(table.match(method: "GET", path: "/v2").0.isAPI)
        XCTAssertTrue(table.match(method: "GET", path: "/v2/zzz").0.isAPI)
        XCTAssertFalse(table.match(method: "GET", path: "/healthz").0.isAPI)
        XCTAssertFalse(table.match(method: "GET", path: "/extensions/v2/metrics").0.isAPI)
    }

    /// The access each request needs, as WharfAuth's `RequiredAccess` decided it by
    /// parsing the path before the route table existed.
    func testAccessOfRepresentativeRequests() {
        let cases: [(String, String, RouteAccess?, String?)] = [
            ("GET", "/v2/", .authenticated, nil),
            ("GET", "/v2", .authenticated, nil),
            ("POST", "/v2/", .authenticated, nil),
            ("GET", "/healthz", .health, nil),
            ("GET", "/", .health, nil),
            ("GET", "/debug/health", .health, nil),
            ("GET", "/openshift/token", .tokenEndpoint, nil),
            ("POST", "/openshift/token", .tokenEndpoint, nil),
            ("GET", "/elsewhere", nil, nil),
            ("GET", "/v2/_catalog", .catalog, nil),
            ("POST", "/v2/_catalog", .catalog, nil),
            ("GET", "/extensions/v2/metrics", .metrics, nil),
            ("GET", "/v2/p/a/manifests/v1", .repository(.pull), "p/a"),
            ("HEAD", "/v2/p/a/manifests/v1", .repository(.pull), "p/a"),
            ("HEAD", "/v2/p/a/blobs/sha256:00", .repository(.pull), "p/a"),
            ("PUT", "/v2/p/a/manifests/v1", .repository(.push), "p/a"),
            ("PATCH", "/v2/p/a/manifests/v1", .repository(.push), "p/a"),
            ("DELETE", "/v2/p/a/manifests/sha256:00", .repository(.delete), "p/a"),
            ("DELETE", "/v2/p/a/blobs/sha256:00", .repository(.delete), "p/a"),
            ("PUT", "/v2/p/a/blobs/sha256:00", .repository(.push), "p/a"),
            ("POST", "/v2/p/a/blobs/uploads/", .repository(.push), "p/a"),
            ("POST", "/v2/p/a/blobs/uploads", .repository(.push), "p/a"),
            ("GET", "/v2/p/a/blobs/uploads/", .repository(.push), "p/a"),
            ("GET", "/v2/p/a/blobs/uploads/uuid", .repository(.push), "p/a"),
            ("HEAD", "/v2/p/a/blobs/uploads/uuid", .repository(.push), "p/a"),
            ("DELETE", "/v2/p/a/blobs/uploads/uuid", .repository(.push), "p/a"),
            ("PATCH", "/v2/p/a/blobs/uploads/uuid", .repository(.push), "p/a"),
            ("PUT", "/v2/p/a/blobs/uploads/uuid", .repository(.push), "p/a"),
            ("GET", "/v2/p/a/tags/list", .repository(.pull), "p/a"),
            ("DELETE", "/v2/p/a/tags/list", .repository(.push), "p/a"),
            ("GET", "/v2/p/a/referrers/sha256:00", .repository(.pull), "p/a"),
            ("GET", "/v2/p/blobs/manifests/v1", .repository(.pull), "p/blobs"),
            ("GET", "/v2/p/manifests/blobs/sha256:00", .repository(.pull), "p/manifests"),
            ("GET", "/v2/p/tags/list/manifests/v1", .repository(.pull), "p/tags/list"),
            ("GET", "/v2/nothing-here", .authenticated, nil),
            ("GET", "/v2//blobs/sha256:00", .authenticated, nil),
        ]
        for (method, path, access, name) in cases {
            let (m, params) = table.match(method: method, path: path)
            XCTAssertEqual(m.access, access, "\(method) \(path)")
            XCTAssertEqual(params["name"], name, "\(method) \(path)")
        }
    }
}
