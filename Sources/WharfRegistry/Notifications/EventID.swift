import Foundation
import WharfCrypto

/// Event ids in UUID form (version 4 layout), unique without a random-number syscall per
/// event: 64 random bits drawn once per process, then a counter.
public enum EventID {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter: UInt64 = 0
    private static let prefix: [UInt8] = {
        var b = SecureRandom.bytes(8)
        b[6] = (b[6] & 0x0f) | 0x40   // version 4
        return b
    }()
    private static let seed = UInt64.random(in: .min ... .max)

    /// The next id, e.g. `3f2a9c1e-5b7d-4e10-8a2b-00000000002a`-shaped.
    public static func next() -> String {
        let n = lock.withLock { () -> UInt64 in
            counter &+= 1
            return counter
        }
        var tail = withUnsafeBytes(of: (seed &+ n).bigEndian) { Array($0) }
        tail[0] = (tail[0] & 0x3f) | 0x80   // RFC 4122 variant
        let hex = Hex.encode(prefix + tail)
        var out = Array(hex.utf8)
        for dash in [20, 16, 12, 8] { out.insert(UInt8(ascii: "-"), at: dash) }
        return String(decoding: out, as: UTF8.self)
    }
}
