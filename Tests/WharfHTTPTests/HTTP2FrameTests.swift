import Foundation
@testable import WharfHTTP
import XCTest

/// The frame decoder's shape checks (RFC 9113 §4-6) and the encoder's output.
final class HTTP2FrameTests: XCTestCase {
    private func decode(_ bytes: [UInt8], maxFrameSize: Int = 16384) throws -> [HTTP2Frame] {
        var d = HTTP2FrameDecoder(maxFrameSize: maxFrameSize)
        d.append(bytes)
        var out: [HTTP2Frame] = []
        while let f = try d.nextFrame() { out.append(f) }
        return out
    }

    private func assertConnectionError(_ bytes: [UInt8], _ code: HTTP2ErrorCode, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(bytes), file: file, line: line) {
            XCTAssertEqual(($0 as? HTTP2ConnectionError)?.code, code, file: file, line: line)
        }
    }

    func testRoundTrips() throws {
        let settings = [HTTP2Setting(HTTP2Setting.maxConcurrentStreams, 100), HTTP2Setting(HTTP2Setting.initialWindowSize, 1 << 20)]
        XCTAssertEqual(try decode(HTTP2FrameEncoder.settings(settings)), [.settings(ack: false, parameters: settings)])
        XCTAssertEqual(try decode(HTTP2FrameEncoder.settingsAck), [.settings(ack: true, parameters: [])])
        XCTAssertEqual(try decode(HTTP2FrameEncoder.pingAck([1, 2, 3, 4, 5, 6, 7, 8])), [.ping(ack: true, data: [1, 2, 3, 4, 5, 6, 7, 8])])
        XCTAssertEqual(try decode(HTTP2FrameEncoder.windowUpdate(stream: 3, increment: 77)), [.windowUpdate(stream: 3, increment: 77)])
        XCTAssertEqual(try decode(HTTP2FrameEncoder.rstStream(stream: 5, code: .cancel)), [.rstStream(stream: 5, code: 8)])
        XCTAssertEqual(try decode(HTTP2FrameEncoder.goAway(lastStream: 7, code: .enhanceYourCalm, debug: "x")),
                       [.goAway(lastStream: 7, code: 11, debug: [120])])
        XCTAssertEqual(try decode(HTTP2FrameEncoder.dataHeader(stream: 1, length: 2, endStream: true) + [9, 9]),
                       [.data(stream: 1, payload: [9, 9], endStream: true, flowLength: 2)])
        // A header block split at the peer's frame size: HEADERS then CONTINUATION.
        let block = [UInt8](repeating: 0x82, count: 40)
        XCTAssertEqual(try decode(HTTP2FrameEncoder.headers(stream: 1, block: block, endStream: true, maxFrameSize: 16384 / 512)),
                       [.headers(stream: 1, fragment: Array(block[0..<32]), endStream: true, endHeaders: false),
                        .continuation(stream: 1, fragment: Array(block[32...]), endHeaders: true)])
    }

    func testPaddingAndPriorityAreRemoved() throws {
        // DATA, padded: pad length 2, payload "ab", padding.
        XCTAssertEqual(try decode([0, 0, 5, 0, 0x9, 0, 0, 0, 1, 2, 97, 98, 0, 0]),
                       [.data(stream: 1, payload: [97, 98], endStream: true, flowLength: 5)])
        // HEADERS with PRIORITY and padding.
        XCTAssertEqual(try decode([0, 0, 8, 1, 0x2c, 0, 0, 0, 3, 1, 0, 0, 0, 0, 16, 0x82, 0]),
                       [.headers(stream: 3, fragment: [0x82], endStream: false, endHeaders: true)])
        // Padding that eats the payload.
        assertConnectionError([0, 0, 3, 0, 0x8, 0, 0, 0, 1, 3, 0, 0], .protocolError)
        // Unknown types are returned to be ignored.
        XCTAssertEqual(try decode([0, 0, 1, 0xfa, 0, 0, 0, 0, 1, 0]), [.unknown(type: 0xfa, stream: 1)])
    }

    func testShapeErrors() {
        assertConnectionError([0, 0x40, 0x01, 0, 0, 0, 0, 0, 1], .frameSizeError)           // 16385 bytes
        assertConnectionError([0, 0, 5, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], .frameSizeError)  // SETTINGS of 5
        assertConnectionError([0, 0, 6, 4, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], .frameSizeError) // SETTINGS ACK with payload
        assertConnectionError([0, 0, 0, 4, 0, 0, 0, 0, 1], .protocolError)                  // SETTINGS on a stream
        assertConnectionError([0, 0, 4, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0], .frameSizeError)     // PING of 4
        assertConnectionError([0, 0, 3, 8, 0, 0, 0, 0, 0, 0, 0, 1], .frameSizeError)        // WINDOW_UPDATE of 3
        assertConnectionError([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], .protocolError)               // DATA on stream 0
        assertConnectionError([0, 0, 1, 1, 4, 0, 0, 0, 0, 0x82], .protocolError)            // HEADERS on stream 0
        assertConnectionError([0, 0, 3, 3, 0, 0, 0, 0, 1, 0, 0, 0], .frameSizeError)        // RST_STREAM of 3 bytes
    }
}
