/// Splits received bytes into frames and checks each frame's shape (RFC 9113 §4, §6):
/// size against SETTINGS_MAX_FRAME_SIZE, stream zero or not as the type requires,
/// fixed payload lengths, padding. Shape errors are connection errors; what a frame
/// means for a stream is the codec's business.
///
/// ```swift
/// var decoder = HTTP2FrameDecoder()
/// decoder.append(bytes)
/// while let frame = try decoder.nextFrame() { ... }
/// ```
public struct HTTP2FrameDecoder {
    /// The largest payload accepted (our SETTINGS_MAX_FRAME_SIZE).
    public var maxFrameSize: Int
    private var buffer: [UInt8] = []
    private var start = 0

    /// A decoder accepting payloads up to `maxFrameSize` bytes.
    public init(maxFrameSize: Int = 16384) { self.maxFrameSize = maxFrameSize }

    /// Bytes received and not yet returned as frames.
    public var bufferedBytes: Int { buffer.count - start }

    /// Adds received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    public mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBytes { append($0) } }

    /// Removes and returns `count` buffered bytes (the connection preface).
    public mutating func take(_ count: Int) -> [UInt8]? {
        guard bufferedBytes >= count else { return nil }
        let out = Array(buffer[start..<(start + count)])
        start += count
        return out
    }

    /// The next complete frame, or nil until more bytes arrive.
    public mutating func nextFrame() throws -> HTTP2Frame? {
        guard bufferedBytes >= 9 else { return nil }
        let s = start
        let length = Int(buffer[s]) << 16 | Int(buffer[s + 1]) << 8 | Int(buffer[s + 2])
        let type = buffer[s + 3]
        let flags = buffer[s + 4]
        let stream = (UInt32(buffer[s + 5]) << 24 | UInt32(buffer[s + 6]) << 16 | UInt32(buffer[s + 7]) << 8
            | UInt32(buffer[s + 8])) & 0x7fff_ffff
        guard length <= maxFrameSize else {
            throw HTTP2ConnectionError(.frameSizeError, "frame of \(length) bytes exceeds \(maxFrameSize)")
        }
        guard bufferedBytes >= 9 + length else { return nil }
        let payload = Array(buffer[(s + 9)..<(s + 9 + length)])
        start += 9 + length
        if start > 1 << 16 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return try Self.frame(type: type, flags: flags, stream: stream, payload: payload)
    }

    /// Interprets one frame's payload.
    public static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) throws -> HTTP2Frame {
        guard let kind = HTTP2Frame.Kind(rawValue: type) else { return .unknown(type: type, stream: stream) }
        func needStream() throws {
            if stream == 0 { throw HTTP2ConnectionError(.protocolError, "\(kind) frame on stream 0") }
        }
        func needConnection() throws {
            if stream != 0 { throw HTTP2ConnectionError(.protocolError, "\(kind) frame on stream \(stream)") }
        }
        switch kind {
        case .data:
            try needStream()
            let body = try unpadded(payload, flags: flags, extra: 0)
            return .data(stream: stream, payload: body, endStream: flags & HTTP2Frame.Flag.endStream != 0,
                         flowLength: payload.count)
        case .headers:
            try needStream()
            let priority = flags & HTTP2Frame.Flag.priority != 0
            var body = try unpadded(payload, flags: flags, extra: priority ? 5 : 0)
            if priority {
                let dependency = UInt32(body[0]) << 24 | UInt32(body[1]) << 16 | UInt32(body[2]) << 8 | UInt32(body[3])
                if dependency & 0x7fff_ffff == stream {
                    throw HTTP2ConnectionError(.protocolError, "stream \(stream) depends on itself")
                }
                body.removeFirst(5)
            }
            return .headers(stream: stream, fragment: body, endStream: flags & HTTP2Frame.Flag.endStream != 0,
                            endHeaders: flags & HTTP2Frame.Flag.endHeaders != 0)
        case .priority:
            try needStream()
            guard payload.count == 5 else { throw HTTP2ConnectionError(.frameSizeError, "PRIORITY of \(payload.count) bytes") }
            return .priority(stream: stream)
        case .rstStream:
            try needStream()
            guard payload.count == 4 else { throw HTTP2ConnectionError(.frameSizeError, "RST_STREAM of \(payload.count) bytes") }
            return .rstStream(stream: stream, code: word(payload, 0))
        case .settings:
            try needConnection()
            let ack = flags & HTTP2Frame.Flag.ack != 0
            if ack && !payload.isEmpty { throw HTTP2ConnectionError(.frameSizeError, "SETTINGS ACK with a payload") }
            guard payload.count % 6 == 0 else { throw HTTP2ConnectionError(.frameSizeError, "SETTINGS of \(payload.count) bytes") }
            var parameters: [HTTP2Setting] = []
            var i = 0
            while i < payload.count {
                parameters.append(HTTP2Setting(UInt16(payload[i]) << 8 | UInt16(payload[i + 1]), word(payload, i + 2)))
                i += 6
            }
            return .settings(ack: ack, parameters: parameters)
        case .pushPromise:
            return .pushPromise(stream: stream)
        case .ping:
            try needConnection()
            guard payload.count == 8 else { throw HTTP2ConnectionError(.frameSizeError, "PING of \(payload.count) bytes") }
            return .ping(ack: flags & HTTP2Frame.Flag.ack != 0, data: payload)
        case .goAway:
            try needConnection()
            guard payload.count >= 8 else { throw HTTP2ConnectionError(.frameSizeError, "GOAWAY of \(payload.count) bytes") }
            return .goAway(lastStream: word(payload, 0) & 0x7fff_ffff, code: word(payload, 4), debug: Array(payload[8...]))
        case .windowUpdate:
            guard payload.count == 4 else { throw HTTP2ConnectionError(.frameSizeError, "WINDOW_UPDATE of \(payload.count) bytes") }
            return .windowUpdate(stream: stream, increment: word(payload, 0) & 0x7fff_ffff)
        case .continuation:
            try needStream()
            return .continuation(stream: stream, fragment: payload, endHeaders: flags & HTTP2Frame.Flag.endHeaders != 0)
        }
    }

    private static func word(_ p: [UInt8], _ i: Int) -> UInt32 {
        UInt32(p[i]) << 24 | UInt32(p[i + 1]) << 16 | UInt32(p[i + 2]) << 8 | UInt32(p[i + 3])
    }

    /// The payload without its pad length byte and padding; `extra` fixed bytes must remain.
    private static func unpadded(_ payload: [UInt8], flags: UInt8, extra: Int) throws -> [UInt8] {
        guard flags & HTTP2Frame.Flag.padded != 0 else {
            guard payload.count >= extra else { throw HTTP2ConnectionError(.frameSizeError, "frame too short") }
            return payload
        }
        guard let padLength = payload.first.map(Int.init) else {
            throw HTTP2ConnectionError(.frameSizeError, "padded frame without a pad length")
        }
        guard padLength + extra < payload.count else {
            throw HTTP2ConnectionError(.protocolError, "padding of \(padLength) bytes exceeds the payload")
        }
        return Array(payload[1..<(payload.count - padLength)])
    }
}
