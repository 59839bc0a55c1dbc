/// A validated repository name such as `library/ubuntu` or `myproject/app`.
///
/// Grammar (OCI distribution-spec): components `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
/// joined by `/`, at most 255 characters in total.
///
/// ```swift
/// let name = try RepositoryName("myproject/app")
/// RepositoryName.isValid("Bad/Name")   // false
/// ```
public struct RepositoryName: Hashable, Sendable, CustomStringConvertible {
    /// The name as it appears in URLs and storage paths.
    public let value: String

    /// The longest name accepted, in characters.
    public static let maxLength = 255

    /// Validates `value`; throws `NAME_INVALID` otherwise.
    public init(_ value: String) throws {
        guard Self.isValid(value) else {
            throw RegistryError(.nameInvalid, detail: "invalid repository name: \(value.prefix(300))")
        }
        self.value = value
    }

    /// Same as ``value``.
    public var description: String { value }

    /// True when `name` follows the distribution-spec name grammar.
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        for component in bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            guard isValidComponent(component) else { return false }
        }
        return true
    }

    /// One path component: alphanumeric runs separated by `.`, `_`, `__` or one or more `-`.
    static func isValidComponent(_ c: ArraySlice<UInt8>) -> Bool {
        guard let first = c.first, let last = c.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        var i = c.startIndex
        while i < c.endIndex {
            let b = c[i]
            if isLowerAlnum(b) { i += 1; continue }
            // A separator run: ".", "_", "__" or "-+"; must be followed by an alphanumeric.
            var j = i
            if b == UInt8(ascii: ".") {
                j += 1
            } else if b == UInt8(ascii: "_") {
                j += 1
                if j < c.endIndex, c[j] == UInt8(ascii: "_") { j += 1 }
            } else if b == UInt8(ascii: "-") {
                while j < c.endIndex, c[j] == UInt8(ascii: "-") { j += 1 }
            } else {
                return false
            }
            guard j < c.endIndex, isLowerAlnum(c[j]) else { return false }
            i = j
        }
        return true
    }

    static func isLowerAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7a)
    }
}
