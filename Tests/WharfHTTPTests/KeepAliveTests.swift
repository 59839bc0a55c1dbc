import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

final class KeepAliveTests: TestServerCase {
    func testSeveralRequestsReuseOneConnection() throws {
        let c = try RawClient(port: ts.port)
        for i in 0..<5 {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcd\(i)")
            let r = try c.readResponse()
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.text, "abcd\(i)")
            XCTAssertNotNil(r.header("Date"))
            XCTAssertNil(r.header("Connection"))
        }
    }

    func testConnectionCloseClosesAfterResponse() throws {
        let c = try RawClient(port: ts.port)
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("Connection"), "close")
        XCTAssertTrue(c.isClosedByPeer())
    }

    func testHTTP10ClosesByDefaultAndKeepsAliveOnRequest() throws {
        let c = try RawClient(port: ts.port)
        c.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("Connection"), "keep-alive")
        c.send("GET /hello HTTP/1.0\r\n\r\n")
        let r2 = try c.readResponse()
        XCTAssertEqual(r2.text, "hello\n")
        XCTAssertEqual(r2.header("Connection"), "close")
        XCTAssertTrue(c.isClosedByPeer())
    }

    func testCurlReusesConnection() throws {
        let url = "http://127.0.0.1:\(ts.port)/hello"
        let (status, out, err) = try runCurl(["-v", url, url, url])
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "hello\nhello\nhello\n")
        XCTAssertTrue(err.contains("Re-using existing connection") || err.contains("Reusing existing connection"), err)
    }

    func testPathParametersAndErrorsBecome500() throws {
        let c = try RawClient(port: ts.port)
        c.send("GET /path/42 HTTP/1.1\r\nHost: x\r\n\r\nGET /error HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().text, "id=42")
        XCTAssertEqual(try c.readResponse().status, 500)
        XCTAssertEqual(try c.readResponse().status, 404)
    }
}
