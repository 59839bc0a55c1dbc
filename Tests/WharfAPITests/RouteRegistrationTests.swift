import WharfAPI
import WharfHTTP
import XCTest

/// Nothing is served without an access rule: handlers bind only to table routes.
final class RouteRegistrationTests: XCTestCase {
    func testHandlerForARouteTheTableDoesNotDefineIsRefused() throws {
        let table = try RouteTable([APIRoute(.base, "GET", "/v2/", access: .authenticated)])
        let routes = RouteHandlers(table: table)
        XCTAssertNoThrow(try routes.bind(.base) { _ in .text(200, "ok") })
        XCTAssertThrowsError(try routes.bind(.tagsList) { _ in .text(200, "open?") }) { error in
            XCTAssertEqual(error as? RouteTableError, .undefinedRoute(.tagsList))
        }
        XCTAssertThrowsError(try routes.bind(.base) { _ in .text(200, "again") }) { error in
            XCTAssertEqual(error as? RouteTableError, .duplicateHandler(.base))
        }
    }

    func testInvalidTablesAreRefused() {
        XCTAssertThrowsError(try RouteTable([APIRoute(.tagsList, "GET", "/v2/tags/list", access: .repository(.pull))])) {
            XCTAssertEqual($0 as? RouteTableError, .repositoryWithoutName(.tagsList))
        }
        XCTAssertThrowsError(try RouteTable([APIRoute(.base, "GET", "/v2/", access: .authenticated),
                                             APIRoute(.base, "GET", "/v2", access: .authenticated)])) {
            XCTAssertEqual($0 as? RouteTableError, .duplicateID(.base))
        }
        XCTAssertThrowsError(try RouteTable([APIRoute(.base, "GET", "/v2/", access: .authenticated),
                                             APIRoute(.baseWithoutSlash, "GET", "/v2/", access: .authenticated)])) {
            XCTAssertEqual($0 as? RouteTableError, .duplicateRoute("GET /v2/"))
        }
    }

    /// The route is attached before the middleware runs, and the handler runs after it.
    func testRouteIsAttachedBeforeMiddleware() async throws {
        let routes = RouteHandlers(table: .standard)
        try routes.bind(.tagsList) { request in .text(200, request.pathParameters["name"] ?? "-") }
        struct Probe: HTTPMiddleware {
            func respond(to request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
                guard let match = request.apiRoute else { return .text(500, "no route attached") }
                var response = try await next(request)
                response.headers.set("X-Route", match.route?.id.rawValue ?? "none")
                return response
            }
        }
        let handler = routes.handler(middleware: [Probe()])
        let ok = try await handler(HTTPRequest(method: "GET", target: "/v2/p/a/tags/list?n=1"))
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.headers["X-Route"], "tagsList")
        // A table route without a handler is not served.
        let unbound = try await handler(HTTPRequest(method: "GET", target: "/v2/p/a/manifests/v1"))
        XCTAssertEqual(unbound.status, 404)
        XCTAssertEqual(unbound.headers["X-Route"], "manifestGet")
        let wrongMethod = try await handler(HTTPRequest(method: "POST", target: "/v2/p/a/tags/list"))
        XCTAssertEqual(wrongMethod.status, 405)
    }
}
