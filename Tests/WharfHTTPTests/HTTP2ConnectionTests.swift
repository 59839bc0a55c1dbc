import Foundation
@testable import WharfHTTP
import WharfTestSupport
import XCTest

/// The HTTP/2 codec in process, over h2c prior knowledge, with raw frames: the same handlers
/// as the HTTP/1.1 tests, streamed bodies, and the I/O timeout of a zero-window stall.
final class HTTP2ConnectionTests: XCTestCase {
    /// A frame-level client on a RawClient socket.
    final class H2Client {
        let raw: RawClient
        var frames = HTTP2FrameDecoder(maxFrameSize: 1 << 20)
        var encoder = HPACKEncoder()
        var decoder = HPACKDecoder()

        init(port: Int, settings: [HTTP2Setting] = []) throws {
            raw = try RawClient(port: port)
            raw.send(HTTP2Codec.preface + HTTP2FrameEncoder.settings(settings))
        }

        func request(_ stream: UInt32, _ method: String, _ path: String, body: [UInt8]? = nil, bodyFollows: Bool = false) {
            let block = encoder.encode([(":method", method), (":scheme", "http"), (":path", path), (":authority", "test")])
            raw.send(HTTP2FrameEncoder.headers(stream: stream, block: block, endStream: body == nil && !bodyFollows, maxFrameSize: 16384))
            if let body {
                raw.send(HTTP2FrameEncoder.dataHeader(stream: stream, length: body.count, endStream: true) + body)
            }
        }

        /// The next frame, or nil at EOF/timeout.
        func next() throws -> HTTP2Frame? {
            while true {
                if let f = try frames.nextFrame() {
                    if case .settings(false, _) = f { raw.send(HTTP2FrameEncoder.settingsAck) }
                    return f
                }
                guard let chunk = raw.readSome(), !chunk.isEmpty else { return nil }
                frames.append(chunk)
            }
        }

        /// Status and body of `stream`, returning window as DATA arrives.
        func response(_ stream: UInt32) throws -> (Int, [UInt8]) {
            var status = 0
            var body: [UInt8] = []
            while let f = try next() {
                switch f {
                case .headers(stream, let block, let end, _):
                    let fields = try decoder.decode(block)
                    status = Int(fields.first { $0.name == ":status" }?.value ?? "") ?? 0
                    if end { return (status, body) }
                case .data(stream, let payload, let end, _):
                    body += payload
                    if !payload.isEmpty {
                        raw.send(HTTP2FrameEncoder.windowUpdate(stream: 0, increment: UInt32(payload.count))
                                 + HTTP2FrameEncoder.windowUpdate(stream: stream, increment: UInt32(payload.count)))
                    }
                    if end { return (status, body) }
                case .rstStream(stream, let code):
                    throw RawClientError("stream reset \(code)")
                case .goAway(_, let code, _):
                    throw RawClientError("GOAWAY \(code)")
                default:
                    continue
                }
            }
            throw RawClientError("connection closed")
        }
    }

    func testSameHandlersOverHTTP2() throws {
        let ts = try TestServer()
        defer { Task { await ts.stop() } }
        let c = try H2Client(port: ts.port)
        c.request(1, "GET", "/hello")
        XCTAssertEqual(try c.response(1).1, Array("hello\n".utf8))
        let payload = [UInt8](repeating: 7, count: 100_000)
        c.request(3, "POST", "/echo", bodyFollows: true)
        // Body in several DATA frames, then END_STREAM.
        for i in stride(from: 0, to: payload.count, by: 16384) {
            let part = Array(payload[i..<min(payload.count, i + 16384)])
            c.raw.send(HTTP2FrameEncoder.dataHeader(stream: 3, length: part.count, endStream: i + 16384 >= payload.count) + part)
        }
        let (status, echoed) = try c.response(3)
        XCTAssertEqual(status, 200)
        XCTAssertEqual(echoed, payload)
        c.request(5, "GET", "/stream?n=300000")
        XCTAssertEqual(Data(try c.response(5).1), GeneratedContent.bytes(300_000))
        c.request(7, "GET", "/file")
        XCTAssertEqual(Data(try c.response(7).1), ts.fileContents)
    }

    func testAStreamWaitingOnFlowControlHasItsOwnTimeout() throws {
        var http2 = HTTP2Configuration()
        http2.flowControlTimeout = 1
        let ts = try TestServer(limits: HTTPLimits(), http2: http2)   // ioTimeout stays 120 s
        defer { Task { await ts.stop() } }
        let c = try H2Client(port: ts.port, settings: [HTTP2Setting(HTTP2Setting.initialWindowSize, 0)])
        c.request(1, "GET", "/file")
        let start = Date()
        XCTAssertEqual(try zeroWindowReset(c, stream: 1), HTTP2ErrorCode.cancel.rawValue)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    /// Reads until `stream` is reset (its code), checking no DATA came beyond the zero window.
    private func zeroWindowReset(_ c: H2Client, stream: UInt32) throws -> UInt32? {
        while let f = try c.next() {
            if case .data(stream, let p, _, _) = f { XCTAssertTrue(p.isEmpty, "DATA beyond a zero window") }
            if case .rstStream(stream, let code) = f { return code }
        }
        return nil
    }

    func testZeroWindowStallResetsTheStreamAfterTheIOTimeout() throws {
        var limits = HTTPLimits()
        limits.ioTimeout = 1
        let ts = try TestServer(limits: limits)
        defer { Task { await ts.stop() } }
        // A client that grants no stream window and never opens it.
        let c = try H2Client(port: ts.port, settings: [HTTP2Setting(HTTP2Setting.initialWindowSize, 0)])
        c.request(1, "GET", "/file")
        let start = Date()
        XCTAssertEqual(try zeroWindowReset(c, stream: 1), HTTP2ErrorCode.cancel.rawValue)
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.9)
        // The connection itself lives on.
        c.raw.send(HTTP2FrameEncoder.settings([HTTP2Setting(HTTP2Setting.initialWindowSize, 65535)]))
        c.request(3, "GET", "/hello")
        XCTAssertEqual(try c.response(3).1, Array("hello\n".utf8))
    }
}
