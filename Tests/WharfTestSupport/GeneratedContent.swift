import Foundation

/// Deterministic test content: byte `i` of the stream is `i % 251`, so any slice can be
/// regenerated from its offset and compared, and no power-of-two boundary lines up with the period.
public enum GeneratedContent {
    /// A repeating pattern long enough to slice any generated piece of up to 1 MiB from.
    public static let pattern: Data = {
        var bytes = [UInt8](repeating: 0, count: (1 << 20) + 251)
        for i in 0..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: i % 251) }
        return Data(bytes)
    }()

    /// `n` bytes of the stream starting at `offset`.
    public static func bytes(_ n: Int, offset: Int = 0) -> Data {
        if n <= 1 << 20 { let start = offset % 251; return pattern.subdata(in: start..<(start + n)) }
        var bytes = [UInt8](repeating: 0, count: n)
        for i in 0..<n { bytes[i] = UInt8(truncatingIfNeeded: (offset + i) % 251) }
        return Data(bytes)
    }
}

/// Deterministic pseudo-random test content: `count` bytes of an xorshift stream derived
/// from `seed` (different seeds give unrelated bytes, unlike `GeneratedContent`).
public func testBytes(_ count: Int, seed: UInt8 = 1) -> Data {
    var bytes = [UInt8](repeating: 0, count: count)
    var x = UInt32(seed) &* 2_654_435_761 &+ 1
    for i in 0..<count {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5
        bytes[i] = UInt8(truncatingIfNeeded: x)
    }
    return Data(bytes)
}
