/// Incremental decoder of the chunked transfer coding (RFC 9112 §7.1). Chunk extensions
/// and trailer fields are accepted and ignored; sizes that overflow and malformed
/// delimiters are errors. Bytes may arrive in any split.
///
/// ```swift
/// var decoder = ChunkedDecoder()
/// let (consumed, done) = try decoder.decode(buffer) { data in sink(data) }
/// ```
public struct ChunkedDecoder: Sendable {
    enum State: Sendable {
        case size(value: Int64, digits: Int)
        case sizeWhitespace(value: Int64)
        case extensionText(value: Int64)
        case sizeLF(value: Int64)
        case data(remaining: Int64)
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerLine
        case trailerLF(empty: Bool)
        case done
    }

    var state: State = .size(value: 0, digits: 0)
    /// Bytes of the current chunk-size line (or of the trailer section); capped to stop endless metadata.
    var metadataBytes = 0
    /// Upper bound on one chunk-size line with its extensions, and on the trailer section.
    public var maxMetadataBytes: Int

    /// A decoder at the start of a chunked body.
    public init(maxMetadataBytes: Int = 64 * 1024) { self.maxMetadataBytes = maxMetadataBytes }

    /// True once the last chunk and the trailer section have been read.
    public var isDone: Bool { if case .done = state { return true } else { return false } }

    /// Decodes from `buffer`, calling `emit` with each run of body bytes. Returns how many
    /// bytes were consumed (less than `buffer.count` only when the body ended) and whether
    /// the body is complete. Throws ``RequestBodyError/malformed(_:)`` on invalid framing.
    public mutating func decode(_ buffer: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws -> (consumed: Int, done: Bool) {
        var i = 0
        let n = buffer.count
        while i < n {
            let c = buffer[i]
            switch state {
            case .done:
                return (i, true)
            case .data(let remaining):
                let take = Int(min(Int64(n - i), remaining))
                try emit(UnsafeRawBufferPointer(rebasing: buffer[i..<(i + take)]))
                i += take
                state = remaining - Int64(take) == 0 ? .dataCR : .data(remaining: remaining - Int64(take))
                continue
            case .size(let value, let digits):
                if let h = Self.hexValue(c) {
                    guard digits < 15 else { throw RequestBodyError.malformed("chunk size too large") }
                    state = .size(value: value << 4 | Int64(h), digits: digits + 1)
                } else {
                    guard digits > 0 else { throw RequestBodyError.malformed("invalid chunk size") }
                    switch c {
                    case 13: state = .sizeLF(value: value)
                    case 59: state = .extensionText(value: value)
                    case 32, 9: state = .sizeWhitespace(value: value)
                    default: throw RequestBodyError.malformed("invalid chunk size")
                    }
                }
            case .sizeWhitespace(let value):
                switch c {
                case 32, 9: break
                case 59: state = .extensionText(value: value)
                case 13: state = .sizeLF(value: value)
                default: throw RequestBodyError.malformed("invalid chunk size line")
                }
            case .extensionText(let value):
                if c == 13 { state = .sizeLF(value: value) }
                else if c == 10 || c == 0 || c == 0x7F { throw RequestBodyError.malformed("invalid chunk extension") }
            case .sizeLF(let value):
                guard c == 10 else { throw RequestBodyError.malformed("missing LF after chunk size") }
                state = value == 0 ? .trailerLineStart : .data(remaining: value)
                if value != 0 { metadataBytes = 0; i += 1; continue }
            case .dataCR:
                guard c == 13 else { throw RequestBodyError.malformed("missing CRLF after chunk data") }
                state = .dataLF
            case .dataLF:
                guard c == 10 else { throw RequestBodyError.malformed("missing CRLF after chunk data") }
                state = .size(value: 0, digits: 0)
            case .trailerLineStart:
                state = c == 13 ? .trailerLF(empty: true) : .trailerLine
                if c == 10 || c == 0 { throw RequestBodyError.malformed("invalid trailer") }
            case .trailerLine:
                if c == 13 { state = .trailerLF(empty: false) }
                else if c == 10 || c == 0 { throw RequestBodyError.malformed("invalid trailer") }
            case .trailerLF(let empty):
                guard c == 10 else { throw RequestBodyError.malformed("bare CR in trailer") }
                if empty { state = .done; return (i + 1, true) }
                state = .trailerLineStart
            }
            metadataBytes += 1
            if metadataBytes > maxMetadataBytes { throw RequestBodyError.malformed("chunk metadata too large") }
            i += 1
        }
        return (i, isDone)
    }

    @inline(__always) static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}
