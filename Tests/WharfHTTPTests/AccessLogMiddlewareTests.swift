import Foundation
@testable import WharfHTTP
import XCTest

final class AccessLogMiddlewareTests: XCTestCase {
    func testLogsOneLinePerRequestWithoutQuery() async throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let logger = Logger(level: .info, fd: fds[1])
        let handler = MiddlewareChain.build([AccessLogMiddleware(logger: logger)]) { _ in .text(201, "made") }
        var headers = HTTPHeaders()
        headers.add("User-Agent", "tester/1.0")
        let request = HTTPRequest(method: "PUT", target: "/v2/x/blobs/uploads/1?_state=SECRET", headers: headers,
                                  remoteAddress: "10.0.0.1:5555")
        let response = try await handler(request)
        XCTAssertEqual(response.status, 201)
        close(fds[1])
        let line = String(decoding: FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(line.split(separator: "\n").count, 1)
        for part in ["level=info", "http.request.method=PUT", "http.request.uri=/v2/x/blobs/uploads/1", "http.response.status=201",
                     "http.response.written=4", "10.0.0.1:5555", "http.request.id=\(request.requestID)", "tester/1.0"] {
            XCTAssertTrue(line.contains(part), "missing \(part) in \(line)")
        }
        XCTAssertFalse(line.contains("SECRET"))
    }
}
