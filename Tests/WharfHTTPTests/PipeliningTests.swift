import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

final class PipeliningTests: TestServerCase {
    func testPipelinedRequestsAnsweredInOrder() throws {
        let c = try RawClient(port: ts.port)
        // A slow request first: the fast ones behind it must still come back after it.
        var batch = "GET /sleep?ms=150 HTTP/1.1\r\nHost: x\r\n\r\n"
        for i in 0..<10 { batch += "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(String(i).count)\r\n\r\n\(i)" }
        batch += "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
        c.send(batch)
        XCTAssertEqual(try c.readResponse().text, "slept 150")
        for i in 0..<10 { XCTAssertEqual(try c.readResponse().text, "\(i)") }
        XCTAssertEqual(try c.readResponse().text, "hello\n")
    }

    func testPipelinedRequestsSentByteByByte() throws {
        let c = try RawClient(port: ts.port)
        let batch = Array("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        for b in batch { c.send([b]) }
        XCTAssertEqual(try c.readResponse().text, "abc")
        XCTAssertEqual(try c.readResponse().text, "hello\n")
    }
}
