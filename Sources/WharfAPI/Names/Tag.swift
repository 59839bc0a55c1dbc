/// A validated tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
///
/// ```swift
/// Tag.isValid("v1.0")    // true
/// Tag.isValid(".hidden") // false
/// ```
public struct Tag: Hashable, Sendable, CustomStringConvertible {
    /// The tag as written in URLs and storage paths.
    public let value: String

    /// Nil unless `value` is a valid tag (callers choose the error to report).
    public init?(_ value: String) {
        guard Self.isValid(value) else { return nil }
        self.value = value
    }

    /// Same as ``value``.
    public var description: String { value }

    /// True when `tag` follows the distribution-spec tag grammar.
    public static func isValid(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return false }
        func word(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == UInt8(ascii: "_")
        }
        guard word(first) else { return false }
        return bytes.dropFirst().allSatisfy { word($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }
}
