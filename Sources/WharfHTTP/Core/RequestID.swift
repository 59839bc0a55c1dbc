/// Request ids: random version-4 UUIDs in lower case (`3f0c…-…`), as distribution logs
/// them. Built from two `SystemRandomNumberGenerator` words and formatted by hand:
/// Foundation's `UUID()` opened `/dev/urandom` on every request.
public enum RequestID {
    /// The id of the request whose handler is running on this task (nil outside one):
    /// storage calls and other lines logged deep below the handler carry it.
    @TaskLocal public static var current: String?

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A new id.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var high: UInt64 = generator.next()
        var low: UInt64 = generator.next()
        high = (high & ~0xF000) | 0x4000                              // version 4
        low = (low & ~(0xC000 << 48)) | (0x8000 << 48)                // RFC 4122 variant
        return String(unsafeUninitializedCapacity: 36) { out in
            var i = 0
            func put(_ word: UInt64, _ nibbles: Int, shift: Int) {
                for n in stride(from: nibbles - 1, through: 0, by: -1) {
                    out[i] = hex[Int((word >> UInt64(shift + 4 * n)) & 0xF)]
                    i += 1
                }
            }
            func dash() { out[i] = UInt8(ascii: "-"); i += 1 }
            put(high, 8, shift: 32); dash()
            put(high, 4, shift: 16); dash()
            put(high, 4, shift: 0); dash()
            put(low, 4, shift: 48); dash()
            put(low, 12, shift: 0)
            return i
        }
    }
}
