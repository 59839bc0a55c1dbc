import WharfAPI
import WharfHTTP
import WharfStorage
import XCTest
@testable import WharfRegistry

/// The registry's handlers bind only to routes the table defines (with their access).
final class RouteBindingTests: XCTestCase {
    func testEveryHandlerBindsToTheStandardTable() throws {
        let context = RegistryContext(options: RegistryOptions(), driver: InMemoryDriver(), logger: Logger(level: .error), secret: [1])
        let routes = try Registry.bindRoutes(context, table: .standard)
        // `serve` adds the metrics and pruner routes (Registry.addRoute); WharfAuth serves the token endpoint.
        for route in RouteTable.standard.routes where ![.metrics, .pruner, .token].contains(route.id) {
            XCTAssertTrue(routes.isBound(route.id), "\(route) has no handler")
        }
    }

    func testAHandlerForARouteMissingFromTheTableFailsStartUp() throws {
        let context = RegistryContext(options: RegistryOptions(), driver: InMemoryDriver(), logger: Logger(level: .error), secret: [1])
        let table = try RouteTable(RouteTable.standard.routes.filter { $0.id != .tagsList })
        XCTAssertThrowsError(try Registry.bindRoutes(context, table: table)) { error in
            XCTAssertEqual(error as? RouteTableError, .undefinedRoute(.tagsList))
        }
    }
}
