import Foundation

/// One parameter of a storage driver's config section (`storage.<driver>.<name>`), as the
/// driver declares it in its registration: its type and bounds, its default, whether it
/// is required or a secret. Config validation, `check-config` masking, `REGISTRY_*`
/// variables and the driver's own construction all read this one declaration.
public struct StorageDriverParameter: Sendable {
    /// What values a parameter takes.
    public enum Kind: Sendable, Equatable {
        /// Any text (empty allowed unless ``StorageDriverParameter/required``).
        case string
        /// Text that must not be empty when given.
        case nonEmptyString
        /// A decimal integer within the bounds.
        case integer(ClosedRange<Int>)
        /// A boolean, spelled as ``StorageDriverParameter/boolean(_:)`` accepts.
        case boolean
        /// One of these words (case-insensitive).
        case choice([String])
    }

    /// The key, lower-case, no underscores (`maxthreads`); a dotted name (`credentials.type`)
    /// is a key of a nested section.
    public let name: String
    /// Its type and bounds.
    public let kind: Kind
    /// The value used when the section leaves it out; nil means the driver has none.
    public let defaultValue: String?
    /// Must be given (or have a default); a missing one is `storage.<driver>.<name>: required`.
    public let required: Bool
    /// Masked as `*****` by `check-config` (credentials, keys).
    public let isSecret: Bool

    /// Declares a parameter.
    public init(_ name: String, _ kind: Kind = .string, default defaultValue: String? = nil,
                required: Bool = false, secret: Bool = false) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.required = required
        self.isSecret = secret
    }

    /// The environment variable that overrides this parameter of `driver`
    /// (`REGISTRY_STORAGE_FILESYSTEM_MAXTHREADS`).
    public func environmentVariable(driver: String) -> String {
        "REGISTRY_STORAGE_\(driver.uppercased())_\(name.uppercased().replacingOccurrences(of: ".", with: "_"))"
    }

    /// What an error says a boolean may be: every spelling ``boolean(_:)`` accepts.
    public static let booleanExpected = "expected true or false (also yes/no, on/off)"

    /// The one boolean rule of the configuration (docs/configuration.md): `true`/`yes`/`on`
    /// and `false`/`no`/`off`, in any case; nil for anything else.
    public static func boolean(_ text: String) -> Bool? {
        // Keep in step with ``booleanExpected`` and docs/configuration.md.
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// Checks a written value; the message of the error names the key path.
    func check(_ value: String, driver: String) throws(StorageDriverParameterError) {
        func fail(_ message: String) -> StorageDriverParameterError {
            StorageDriverParameterError(driver: driver, parameter: name, reason: message)
        }
        switch kind {
        case .string:
            return
        case .nonEmptyString:
            if value.isEmpty { throw fail("must not be empty") }
        case .integer(let bounds):
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(value) else {
                throw fail("expected a non-negative integer, found '\(value)'")
            }
            guard bounds.contains(n) else {
                let range = bounds.upperBound == Int.max ? "≥ \(bounds.lowerBound)" : "in \(bounds.lowerBound)...\(bounds.upperBound)"
                throw fail("expected an integer \(range), found '\(value)'")
            }
        case .boolean:
            if Self.boolean(value) == nil { throw fail("\(Self.booleanExpected), found '\(value)'") }
        case .choice(let words):
            if !words.contains(value.lowercased()) {
                throw fail("expected one of \(words.joined(separator: ", ")), found '\(value)'")
            }
        }
    }
}

/// A driver parameter that does not validate. ``description`` is the message both
/// `check-config` (with the file and line) and the driver factory report.
public struct StorageDriverParameterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The driver section (`filesystem`).
    public let driver: String
    /// The parameter, or nil when the section as a whole is wrong.
    public let parameter: String?
    /// What is wrong (`must not be empty`).
    public let reason: String

    /// `storage.filesystem.maxthreads: expected an integer ≥ 1, found '0'`.
    public var description: String {
        "storage.\(driver)\(parameter.map { ".\($0)" } ?? ""): \(reason)"
    }
}
