import Foundation
import WharfStorage

/// One node of a YAML document read by ``YAMLReader``: a scalar, a sequence or a mapping,
/// with the line it starts on. Mappings keep their keys in document order.
///
/// Scalars are kept as text (the reader does not guess types); the typed accessors
/// (``string(at:)``, ``bool(at:)``, ``int(at:)``...) convert them and throw a ``YAMLError``
/// that names the key path and the line:
///
/// ```swift
/// let doc = try YAMLReader.parse("http:\n  addr: :5000\n", origin: "config.yml")
/// let addr = try doc["http"]?["addr"]?.string(at: "http.addr")   // ":5000"
/// ```
public struct YAMLNode: Equatable, Sendable {
    /// How a scalar was written; plain scalars such as `~` or an empty value mean null.
    public enum ScalarStyle: Equatable, Sendable { case plain, singleQuoted, doubleQuoted }

    /// The node's content.
    public enum Content: Equatable, Sendable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLEntry])
    }

    /// The node's content.
    public var content: Content
    /// 1-based line where the node starts (0 for values that did not come from a file).
    public var line: Int
    /// Where the node came from: a file name, or `$VARIABLE` for an environment value.
    public var origin: String

    /// Creates a node.
    public init(_ content: Content, line: Int, origin: String) {
        self.content = content
        self.line = line
        self.origin = origin
    }

    /// A null (empty plain) scalar, e.g. the value of `inmemory:` with nothing after it.
    public static func null(line: Int, origin: String) -> YAMLNode {
        YAMLNode(.scalar("", .plain), line: line, origin: origin)
    }

    /// The entries when this is a mapping.
    public var mapping: [YAMLEntry]? {
        if case .mapping(let e) = content { return e }
        return nil
    }

    /// The items when this is a sequence.
    public var sequence: [YAMLNode]? {
        if case .sequence(let s) = content { return s }
        return nil
    }

    /// The text when this is a scalar (null scalars give "").
    public var scalar: String? {
        if case .scalar(let s, _) = content { return s }
        return nil
    }

    /// True for a plain empty, `~` or `null` scalar.
    public var isNull: Bool {
        if case .scalar(let s, .plain) = content { return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" }
        return false
    }

    /// What kind of node this is, for error messages ("a mapping", "a sequence", "a scalar").
    public var kindName: String {
        switch content {
        case .scalar: return isNull ? "null" : "a scalar"
        case .sequence: return "a sequence"
        case .mapping: return "a mapping"
        }
    }

    /// The value of `key` when this is a mapping that has it.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first(where: { $0.key == key })?.value
    }

    /// An error located at this node.
    public func error(_ message: String) -> YAMLError {
        YAMLError(origin: origin, line: line, message: message)
    }

    // MARK: Typed accessors (each names `path` in its error)

    /// The scalar's text; throws when this is a mapping or a sequence.
    public func string(at path: String) throws -> String {
        guard let s = scalar else { throw error("\(path): expected a scalar, found \(kindName)") }
        return s
    }

    /// A boolean: `true`/`false` (also `yes`/`no`/`on`/`off`, as YAML 1.1 readers accept), any case.
    public func bool(at path: String) throws -> Bool {
        let s = try string(at: path)
        guard let value = StorageDriverParameter.boolean(s) else { throw error("\(path): \(StorageDriverParameter.booleanExpected), found '\(s)'") }
        return value
    }

    /// A non-negative decimal integer that fits in `Int`.
    public func int(at path: String) throws -> Int {
        let s = try string(at: path)
        guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(s) else {
            throw error("\(path): expected a non-negative integer, found '\(s)'")
        }
        return v
    }

    /// A duration in seconds (`30s`, `2m`, `1h30m`, `250ms`; a bare number is seconds).
    public func duration(at path: String) throws -> Double {
        let s = try string(at: path)
        guard let v = ConfigValueParser.duration(s) else {
            throw error("\(path): invalid duration '\(s)' (expected e.g. 30s, 2m, 1h30m)")
        }
        return v
    }

    /// A size in bytes (`65536`, `64KiB`, `4MiB`, `1GiB`).
    public func byteSize(at path: String) throws -> Int64 {
        let s = try string(at: path)
        guard let v = ConfigValueParser.byteSize(s) else {
            throw error("\(path): invalid size '\(s)' (expected bytes, or e.g. 64KiB, 4MiB, 1GiB)")
        }
        return v
    }

    /// A list of strings: a sequence of scalars, or a single scalar as a one-item list.
    public func stringList(at path: String) throws -> [String] {
        if let items = sequence {
            return try items.enumerated().map { try $0.element.string(at: "\(path)[\($0.offset)]") }
        }
        if isNull { return [] }
        return [try string(at: path)]
    }

    /// The entries of a mapping; a null value counts as an empty mapping.
    public func entries(at path: String) throws -> [YAMLEntry] {
        if let e = mapping { return e }
        if isNull { return [] }
        throw error("\(path): expected a mapping, found \(kindName)")
    }

    // MARK: Editing (used to apply overrides such as environment variables)

    /// Sets the value at `path` (keys below this node), creating mappings on the way and
    /// replacing whatever non-mapping value stood in the way. A component `#N` is item N
    /// of a sequence (distribution's `REGISTRY_HTTP_TLS_CLIENTCAS_0`); past the last item
    /// it appends one.
    public mutating func set(_ value: YAMLNode, at path: ArraySlice<String>) {
        guard let first = path.first else {
            self = value
            return
        }
        let rest = path.dropFirst()
        func fresh() -> YAMLNode {
            YAMLNode(rest.first?.hasPrefix("#") == true ? .sequence([]) : .mapping([]), line: value.line, origin: value.origin)
        }
        if first.hasPrefix("#"), let index = Int(first.dropFirst()) {
            var items = sequence ?? []
            if index < items.count {
                items[index].set(value, at: rest)
            } else {
                var child = fresh()
                child.set(value, at: rest)
                items.append(child)
            }
            content = .sequence(items)
            return
        }
        var entries = mapping ?? []
        if let i = entries.firstIndex(where: { $0.key == first }) {
            entries[i].value.set(value, at: rest)
        } else {
            var child = fresh()
            child.set(value, at: rest)
            entries.append(YAMLEntry(key: first, keyLine: value.line, value: child))
        }
        content = .mapping(entries)
    }

    /// Removes `key` when this is a mapping holding it.
    public mutating func removeValue(forKey key: String) {
        guard var entries = mapping else { return }
        entries.removeAll { $0.key == key }
        content = .mapping(entries)
    }
}

/// One `key: value` pair of a mapping.
public struct YAMLEntry: Equatable, Sendable {
    /// The key's text (keys are always scalars).
    public var key: String
    /// Line of the key.
    public var keyLine: Int
    /// The value.
    public var value: YAMLNode

    /// Creates an entry.
    public init(key: String, keyLine: Int, value: YAMLNode) {
        self.key = key
        self.keyLine = keyLine
        self.value = value
    }
}
