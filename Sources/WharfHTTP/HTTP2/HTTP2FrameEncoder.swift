/// Serializes frames (RFC 9113 §4.1). The server never pads.
public enum HTTP2FrameEncoder {
    /// The 9-byte frame header.
    public static func header(length: Int, type: HTTP2Frame.Kind, flags: UInt8, stream: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
         type.rawValue, flags,
         UInt8(truncatingIfNeeded: stream >> 24) & 0x7f, UInt8(truncatingIfNeeded: stream >> 16),
         UInt8(truncatingIfNeeded: stream >> 8), UInt8(truncatingIfNeeded: stream)]
    }

    /// A SETTINGS frame carrying `parameters`.
    public static func settings(_ parameters: [HTTP2Setting]) -> [UInt8] {
        var out = header(length: parameters.count * 6, type: .settings, flags: 0, stream: 0)
        for p in parameters {
            out.append(UInt8(p.identifier >> 8)); out.append(UInt8(p.identifier & 0xff))
            appendWord(&out, p.value)
        }
        return out
    }

    /// The empty SETTINGS frame with ACK.
    public static let settingsAck: [UInt8] = header(length: 0, type: .settings, flags: HTTP2Frame.Flag.ack, stream: 0)

    /// The PING ACK echoing the 8 bytes of `data`.
    public static func pingAck(_ data: [UInt8]) -> [UInt8] {
        header(length: 8, type: .ping, flags: HTTP2Frame.Flag.ack, stream: 0) + data
    }

    /// WINDOW_UPDATE for `stream` (0: the connection).
    public static func windowUpdate(stream: UInt32, increment: UInt32) -> [UInt8] {
        var out = header(length: 4, type: .windowUpdate, flags: 0, stream: stream)
        appendWord(&out, increment & 0x7fff_ffff)
        return out
    }

    /// RST_STREAM ending `stream` with `code`.
    public static func rstStream(stream: UInt32, code: HTTP2ErrorCode) -> [UInt8] {
        var out = header(length: 4, type: .rstStream, flags: 0, stream: stream)
        appendWord(&out, code.rawValue)
        return out
    }

    /// GOAWAY with the last stream that will be processed, `code`, and `debug` text (at most 256 bytes).
    public static func goAway(lastStream: UInt32, code: HTTP2ErrorCode, debug: String = "") -> [UInt8] {
        let d = Array(debug.utf8.prefix(256))
        var out = header(length: 8 + d.count, type: .goAway, flags: 0, stream: 0)
        appendWord(&out, lastStream & 0x7fff_ffff)
        appendWord(&out, code.rawValue)
        return out + d
    }

    /// HEADERS plus as many CONTINUATION frames as `block` needs at `maxFrameSize`.
    public static func headers(stream: UInt32, block: [UInt8], endStream: Bool, maxFrameSize: Int) -> [UInt8] {
        var out: [UInt8] = []
        var offset = 0
        var first = true
        repeat {
            let n = min(maxFrameSize, block.count - offset)
            let last = offset + n == block.count
            var flags: UInt8 = last ? HTTP2Frame.Flag.endHeaders : 0
            if first && endStream { flags |= HTTP2Frame.Flag.endStream }
            out += header(length: n, type: first ? .headers : .continuation, flags: flags, stream: stream)
            out += block[offset..<(offset + n)]
            offset += n
            first = false
        } while offset < block.count
        return out
    }

    /// A DATA frame header for `length` payload bytes.
    public static func dataHeader(stream: UInt32, length: Int, endStream: Bool) -> [UInt8] {
        header(length: length, type: .data, flags: endStream ? HTTP2Frame.Flag.endStream : 0, stream: stream)
    }

    private static func appendWord(_ out: inout [UInt8], _ v: UInt32) {
        out.append(UInt8(v >> 24)); out.append(UInt8((v >> 16) & 0xff)); out.append(UInt8((v >> 8) & 0xff)); out.append(UInt8(v & 0xff))
    }
}
