import Foundation
@testable import WharfHTTP
import XCTest

/// The pure parser and chunked decoder, without sockets.
final class HTTP1ParserTests: XCTestCase {
    func parse(_ s: String, limits: HTTPLimits = HTTPLimits()) -> HTTP1Parser.HeadResult {
        Array(s.utf8).withUnsafeBytes { HTTP1Parser.parseHead($0, limits: limits) }
    }

    func testParsesRequestLineAndHeaders() throws {
        guard case .complete(let head, let consumed) = parse("\r\nGET /v2/a/b?x=1 HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Pad: \t v  \r\n\r\nrest") else {
            return XCTFail("not complete")
        }
        XCTAssertEqual(head.method, "GET")
        XCTAssertEqual(head.target, "/v2/a/b?x=1")
        XCTAssertEqual(head.version, .http1_1)
        XCTAssertEqual(head.headers["host"], "h")
        XCTAssertEqual(head.headers["X-Empty"], "")
        XCTAssertEqual(head.headers["x-pad"], "v")
        XCTAssertEqual(consumed, "\r\nGET /v2/a/b?x=1 HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Pad: \t v  \r\n\r\n".utf8.count)
    }

    func testEveryPrefixNeedsMoreAndRescanFindsTheEnd() {
        let req = Array("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n".utf8)
        var scan = 0
        for n in 0..<req.count {
            let r = req[0..<n].withUnsafeBytes { HTTP1Parser.parseHead($0, limits: HTTPLimits(), scanFrom: scan) }
            guard case .needMore = r else { return XCTFail("prefix \(n) gave \(r)") }
            scan = HTTP1Parser.rescanPosition(afterScanning: n)
        }
        let r = req.withUnsafeBytes { HTTP1Parser.parseHead($0, limits: HTTPLimits(), scanFrom: scan) }
        guard case .complete(_, let consumed) = r else { return XCTFail("\(r)") }
        XCTAssertEqual(consumed, req.count)
    }

    func testRejections() {
        let cases: [(String, Int)] = [
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
            ("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: \u{7f}\r\n\r\n", 400),
            ("GET /\u{1} HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ]
        for (raw, status) in cases {
            guard case .failure(let e) = parse(raw) else { XCTFail("accepted \(raw.debugDescription)"); continue }
            XCTAssertEqual(e.status, status, raw.debugDescription)
        }
    }

    func testUnfinishedHeadWithImpossibleMethodFailsEarly() {
        guard case .failure(let e) = parse("\u{16}\u{3}\u{1}") else { return XCTFail("TLS record accepted") }
        XCTAssertEqual(e.status, 400)
        guard case .failure = parse("GE{T") else { return XCTFail("non-token method accepted") }
        guard case .failure = parse("GET /v2/ HTTP/1.1\nHost: x\n\n") else { return XCTFail("bare LF accepted") }
        guard case .needMore = parse("PATCH") else { return XCTFail("valid method prefix refused") }
        guard case .needMore = parse("\r\nGET /v2/ HT") else { return XCTFail("valid partial line refused") }
    }

    func testLimits() {
        var limits = HTTPLimits()
        limits.maxHeaderBytes = 64
        guard case .failure(let e) = parse("GET / HTTP/1.1\r\nHost: a\r\nX: \(String(repeating: "v", count: 100))", limits: limits) else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(e.status, 431)
        limits = HTTPLimits()
        limits.maxHeaderCount = 2
        guard case .failure(let e2) = parse("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits) else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(e2.status, 431)
    }

    /// An over-long request line is 414, whether or not its end has arrived, and before the
    /// head's own limit (431) applies; a line of exactly the limit is fine.
    func testRequestLineLimit() {
        var limits = HTTPLimits()
        limits.maxRequestLineBytes = 32
        let line = { (n: Int) in "GET /" + String(repeating: "a", count: n - 14) + " HTTP/1.1" }
        XCTAssertEqual(line(32).utf8.count, 32)
        guard case .complete = parse(line(32) + "\r\nHost: a\r\n\r\n", limits: limits) else { return XCTFail("refused") }
        guard case .failure(let e) = parse(line(33) + "\r\nHost: a\r\n\r\n", limits: limits) else { return XCTFail("accepted") }
        XCTAssertEqual(e.status, 414)
        guard case .failure(let partial) = parse("\r\nGET /" + String(repeating: "a", count: 40), limits: limits) else {
            return XCTFail("waited for the end of an over-long line")
        }
        XCTAssertEqual(partial.status, 414)
        guard case .needMore = parse("GET /" + String(repeating: "a", count: 20), limits: limits) else { return XCTFail("refused early") }
        limits.maxHeaderBytes = 16
        guard case .failure(let both) = parse(line(33) + "\r\n", limits: limits) else { return XCTFail("accepted") }
        XCTAssertEqual(both.status, 414)
    }

    func framing(_ headers: [(String, String)], version: HTTPVersion = .http1_1) -> Result<HTTP1BodyFraming, HTTP1ParseError> {
        HTTP1Parser.bodyFraming(of: HTTP1RequestHead(method: "POST", target: "/", version: version, headers: HTTPHeaders(headers)))
    }

    func testBodyFraming() {
        XCTAssertEqual(try framing([]).get(), .length(0))
        XCTAssertEqual(try framing([("Content-Length", "42")]).get(), .length(42))
        XCTAssertEqual(try framing([("Content-Length", "42"), ("content-length", "42")]).get(), .length(42))
        XCTAssertEqual(try framing([("Transfer-Encoding", "Chunked")]).get(), .chunked)
        XCTAssertEqual(try framing([("Content-Length", "9223372036854775807")]).get(), .length(Int64.max))
        for bad: [(String, String)] in [[("Content-Length", "1"), ("Transfer-Encoding", "chunked")],
                                        [("Content-Length", "1"), ("Content-Length", "2")],
                                        [("Content-Length", "-1")], [("Content-Length", "0x10")],
                                        [("Content-Length", "9223372036854775808")],
                                        [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")]] {
            XCTAssertThrowsError(try framing(bad).get(), "\(bad)")
        }
        XCTAssertEqual(framing([("Transfer-Encoding", "gzip")]).failureStatus, 501)
        XCTAssertEqual(framing([("Transfer-Encoding", "chunked")], version: .http1_0).failureStatus, 400)
    }

    func decodeAll(_ input: [UInt8], split: Int) throws -> ([UInt8], Bool, Int) {
        var d = ChunkedDecoder()
        var out: [UInt8] = []
        var pos = 0
        var done = false
        while pos < input.count && !done {
            let end = min(input.count, pos + split)
            let (used, finished) = try input[pos..<end].withUnsafeBytes { try d.decode($0) { out += $0 } }
            pos += used
            done = finished
            if used < end - pos + used && !finished { XCTFail("decoder stopped early") ; break }
        }
        return (out, done, pos)
    }

    func testChunkedDecoderAnySplit() throws {
        let body = Array("4;ext=1\r\nWiki\r\n5 \r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nNEXT".utf8)
        for split in 1...body.count {
            let (out, done, consumed) = try decodeAll(body, split: split)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), "Wikipedia in\r\n\r\nchunks.")
            XCTAssertTrue(done)
            XCTAssertEqual(consumed, body.count - 4, "split \(split)")
        }
    }

    func testChunkedDecoderRejects() {
        for bad in ["x\r\n", "\r\n", "1\r\nab\r\n", "10000000000000000\r\n", "1\nA\r\n", "0\r\nX: y\rz\r\n\r\n", "1 x\r\n"] {
            XCTAssertThrowsError(try decodeAll(Array(bad.utf8), split: 3), bad.debugDescription)
        }
        var d = ChunkedDecoder(maxMetadataBytes: 16)
        XCTAssertThrowsError(try Array("1;\(String(repeating: "e", count: 40))\r\n".utf8).withUnsafeBytes { try d.decode($0) { _ in } })
    }

    func testManySmallChunksAreNotMetadataOverflow() throws {
        var body: [UInt8] = []
        for _ in 0..<20_000 { body += Array("1\r\na\r\n".utf8) }
        body += Array("0\r\n\r\n".utf8)
        let (out, done, _) = try decodeAll(body, split: 4096)
        XCTAssertEqual(out.count, 20_000)
        XCTAssertTrue(done)
    }
}

extension Result where Failure == HTTP1ParseError {
    var failureStatus: Int? { if case .failure(let e) = self { return e.status } else { return nil } }
}
