/// The prefixed integer representation of RFC 7541 §5.1.
enum HPACKInteger {
    /// The largest value accepted when decoding (larger values are a decoding error).
    static let maxValue = 1 << 30

    /// Appends `value` with an N-bit prefix; `flags` fills the bits above the prefix.
    static func encode(_ value: Int, prefix: Int, flags: UInt8, into out: inout [UInt8]) {
        let limit = (1 << prefix) - 1
        if value < limit {
            out.append(flags | UInt8(value))
            return
        }
        out.append(flags | UInt8(limit))
        var rest = value - limit
        while rest >= 128 {
            out.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    /// Decodes an integer with an N-bit prefix at `position`, advancing it.
    static func decode(_ bytes: UnsafeRawBufferPointer, prefix: Int, position: inout Int) throws -> Int {
        guard position < bytes.count else { throw HPACKError.truncated }
        let limit = (1 << prefix) - 1
        var value = Int(bytes[position]) & limit
        position += 1
        if value < limit { return value }
        var shift = 0
        while true {
            guard position < bytes.count else { throw HPACKError.truncated }
            let b = Int(bytes[position])
            position += 1
            guard shift <= 28 else { throw HPACKError.integerOverflow }
            value += (b & 0x7f) << shift
            guard value <= maxValue else { throw HPACKError.integerOverflow }
            if b & 0x80 == 0 { return value }
            shift += 7
        }
    }
}
