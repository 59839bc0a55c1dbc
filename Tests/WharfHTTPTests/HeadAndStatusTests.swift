import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

final class HeadAndStatusTests: TestServerCase {
    func testHeadHasLengthButNoBody() throws {
        let c = try RawClient(port: ts.port)
        c.send("HEAD /blob HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse(headRequest: true)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("Content-Length"), "1234")
        // The next response follows immediately: no body bytes were sent for HEAD.
        c.send("HEAD /headsize HTTP/1.1\r\nHost: x\r\n\r\n")
        let r2 = try c.readResponse(headRequest: true)
        XCTAssertEqual(r2.header("Content-Length"), "999")
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().text, "hello\n")
    }

    func testNoBodyFor204And304() throws {
        let c = try RawClient(port: ts.port)
        c.send("GET /nocontent HTTP/1.1\r\nHost: x\r\n\r\nGET /notmodified HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        let r1 = try c.readResponse()
        XCTAssertEqual(r1.status, 204)
        XCTAssertNil(r1.header("Content-Length"))
        XCTAssertNil(r1.header("Transfer-Encoding"))
        let r2 = try c.readResponse()
        XCTAssertEqual(r2.status, 304)
        XCTAssertNil(r2.header("Transfer-Encoding"))
        XCTAssertEqual(try c.readResponse().text, "hello\n")
    }

    func testFileRegionResponse() throws {
        let c = try RawClient(port: ts.port)
        c.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\nGET /file?offset=1000&length=5000 HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(Data(r.body), ts.fileContents)
        let r2 = try c.readResponse()
        XCTAssertEqual(Data(r2.body), ts.fileContents.subdata(in: 1000..<6000))
    }

    func testCurlHead() throws {
        let (status, out, err) = try runCurl(["-I", "http://127.0.0.1:\(ts.port)/file"])
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(String(decoding: out, as: UTF8.self).lowercased().contains("content-length: 300000"))
    }
}
