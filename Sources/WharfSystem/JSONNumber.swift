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

    /// `value` when the JSON text had an integer there (`12`, `-3`), as Go's decoder reads an
    /// `int64` field; nil for booleans, fractions and exponents (`1.0`, `1e3`, which the
    /// parser keeps as doubles) and for integers beyond `Int64`. Foundation's `as? Int`
    /// would take `true`, `1.0` and `1e3` alike.
    public static func integer(_ value: Any?) -> Int64? {
        guard let n = value as? NSNumber else { return nil }
        switch String(cString: n.objCType) {
        case "s", "i", "l", "q": return n.int64Value
        case "S", "I", "L": return n.int64Value
        default: return nil
        }
    }

    /// Whether `n` is what the JSON parser makes of `true` or `false`.
    public static func isBoolean(_ n: NSNumber) -> Bool {
        String(cString: n.objCType) == "c"
    }
}
