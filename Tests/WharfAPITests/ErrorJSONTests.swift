import Foundation
import WharfAPI
import WharfHTTP
import XCTest

/// The one builder of the OCI error JSON.
final class ErrorJSONTests: XCTestCase {
    func testErrorJSONShapeAndHeaders() throws {
        var headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        headers.set("WWW-Authenticate", "Basic realm=\"r\"")
        let response = RegistryError(.unauthorized, message: "authentication required", detail: "a/b", status: 401,
                                     headers: headers).response
        XCTAssertEqual(response.status, 401)
        XCTAssertEqual(response.headers["WWW-Authenticate"], "Basic realm=\"r\"")
        XCTAssertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        guard case .bytes(let body) = response.body else { return XCTFail("not bytes") }
        XCTAssertEqual(String(decoding: body, as: UTF8.self),
                       #"{"errors":[{"code":"UNAUTHORIZED","detail":"a/b","message":"authentication required"}]}"#)
        XCTAssertEqual(RegistryError(.blobUnknown).status, 404)
    }
}
