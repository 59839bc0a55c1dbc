import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

final class ExpectContinueTests: TestServerCase {
    func testContinueSentOnFirstBodyRead() throws {
        let c = try RawClient(port: ts.port)
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let interim = try c.readResponse()
        XCTAssertEqual(interim.status, 100)
        c.send("data")
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.text, "data")
    }

    func testFinalAnswerWithoutContinueWhenHandlerDoesNotRead() throws {
        let c = try RawClient(port: ts.port)
        c.send("POST /early401 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(r.header("Connection"), "close")
        XCTAssertTrue(c.isClosedByPeer())
    }

    func testCurlUsesContinue() throws {
        let payload = GeneratedContent.bytes(2_000_000)
        let file = try makeScratchFile(payload, prefix: "expect")
        let start = Date()
        let (status, out, err) = try runCurl(["-v", "-H", "Expect: 100-continue", "--data-binary", "@\(file.path)",
                                              "http://127.0.0.1:\(ts.port)/hash"])
        XCTAssertEqual(status, 0, err)
        XCTAssertTrue(err.contains("HTTP/1.1 100 Continue"), err)
        XCTAssertTrue(String(decoding: out, as: UTF8.self).hasPrefix("2000000 "))
        // curl waits a second for 100 Continue when it does not come; it must not have had to.
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.9)
    }
}
