import Foundation
@testable import WharfHTTP
import XCTest

final class AccessLogMiddlewareTests: XCTestCase {
    /// Runs one request through the middleware; `finish` stands in for the connection.
    private func logLine(format: LogFormat = .text, level: LogLevel = .info, headers: HTTPHeaders = HTTPHeaders(),
                         finish: ((HTTPRequest) -> Void)?) async throws -> (String, HTTPRequest) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let logger = Logger(level: level, format: format, fd: fds[1])
        let handler = MiddlewareChain.build([AccessLogMiddleware(logger: logger)]) { request in
            request.attributes[HTTPRequest.userAttribute] = "alice"
            return .text(201, "made")
        }
        let request = HTTPRequest(method: "PUT", target: "/v2/x/blobs/uploads/1?_state=SECRET", headers: headers,
                                  remoteAddress: "10.0.0.1:5555")
        let response = try await handler(request)
        XCTAssertEqual(response.status, 201)
        finish?(request)
        close(fds[1])
        let line = String(decoding: FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile(), as: UTF8.self)
        return (line, request)
    }

    func testLogsOneLineWhenTheResponseFinishesWithoutQuery() async throws {
        var headers = HTTPHeaders()
        headers.add("User-Agent", "tester/1.0")
        let (line, request) = try await logLine(headers: headers) {
            $0.finishResponse(ResponseOutcome(status: 201, bodyBytesWritten: 3, ending: .clientGone, headerWrittenAt: .now()))
        }
        XCTAssertEqual(line.split(separator: "\n").count, 1)
        for part in ["level=info", "http.request.method=PUT", "http.request.uri=/v2/x/blobs/uploads/1", "http.response.status=201",
                     "http.response.written=3 ", "http.response.ending=\"client gone\"", "auth.user.name=alice",
                     "10.0.0.1:5555", "http.request.id=\(request.requestID)", "tester/1.0"] {
            XCTAssertTrue(line.contains(part), "missing \(part) in \(line)")
        }
        XCTAssertFalse(line.contains("SECRET"))
    }

    func testNothingIsLoggedBeforeTheServerReportsTheOutcome() async throws {
        let (line, _) = try await logLine(finish: nil)
        XCTAssertEqual(line, "")
    }

    func testJSONWritesStatusBytesAndDurationAsNumbers() async throws {
        let (line, _) = try await logLine(format: .json) {
            $0.finishResponse(ResponseOutcome(status: 201, bodyBytesWritten: 4, ending: .complete, headerWrittenAt: .now()))
        }
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["http.response.status"] as? Int, 201)
        XCTAssertEqual(object["http.response.written"] as? Int, 4)
        XCTAssertNotNil(object["http.response.duration"] as? Double)
        XCTAssertEqual(object["http.response.ending"] as? String, "complete")
        XCTAssertEqual(object["auth.user.name"] as? String, "alice")
        XCTAssertEqual(object["http.request.remoteaddr"] as? String, "10.0.0.1:5555")
    }

    func testTraceMasksEveryCredentialHeaderAndURLUserinfo() async throws {
        var headers = HTTPHeaders()
        let secrets = ["Authorization": "Bearer S1", "Proxy-Authorization": "Basic S2", "Cookie": "s=S3", "X-Api-Key": "S4",
                       "X-Registry-Auth": "S5", "X-My-Token-Id": "S6", "X-Client-Secret": "S7", "X-Passwd": "S8",
                       "Referer": "http://u:S9@h.example/p", "X-Keyring": "S10"]
        for (name, value) in secrets { headers.add(name, value) }
        headers.add("Accept", "application/json")
        let (line, _) = try await logLine(level: .trace, headers: headers) {
            $0.finishResponse(ResponseOutcome(status: 201, bodyBytesWritten: 4, ending: .complete, headerWrittenAt: .now()))
        }
        for secret in ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10"] {
            XCTAssertFalse(line.contains("\(secret) ") || line.contains("\(secret)\"") || line.contains("\(secret)@"), "\(secret) leaked: \(line)")
        }
        XCTAssertTrue(line.contains("http.request.header.referer=\"http://*****@h.example/p\""), line)
        XCTAssertTrue(line.contains("http.request.header.accept=application/json"), line)
    }

    func testMaskedHeaderValue() {
        XCTAssertEqual(AccessLogMiddleware.maskedHeaderValue("https://u:p@h:5000/v2/x?sig=1"), "https://*****@h:5000/v2/x?*****")
        XCTAssertEqual(AccessLogMiddleware.maskedHeaderValue("https://h/a@b"), "https://h/a@b")
        XCTAssertEqual(AccessLogMiddleware.maskedHeaderValue("plain"), "plain")
    }
}
