import Foundation

/// Numbers in what `JSONSerialization` returns, read as numbers.
///
/// On Linux, Foundation answers `true` to `value is Bool` for the JSON numbers 0 and 1 (every
/// `NSNumber` that holds 0 or 1 bridges to `Bool`), so that test cannot tell `1` from `true`.
/// A JSON boolean is the one `NSNumber` whose Objective-C type is `char` (`c`); the parser
/// never makes a `char` number from a JSON number. The JWT fuzzer found a token whose `iat`
/// of 1 was refused this way.
public enum JSONNumber {
    /// `value` when it is a JSON number (not a boolean), finite and within `0 ..< limit`,
    /// truncated to a whole number; nil otherwise.
    public static func nonNegativeInt64(_ value: Any?, below limit: Double = 9.2e18) -> Int64? {
        guard let n = value as? NSNumber, !isBoolean(n) else { return nil }
        let d = n.doubleValue
        guard d.isFinite, d >= 0, d < limit else { return nil }
        return Int64(d)
    }

    /// Whether `n` is what the JSON parser makes of `true` or `false`.
    public static func isBoolean(_ n: NSNumber) -> Bool {
        String(cString: n.objCType) == "c"
    }
}
