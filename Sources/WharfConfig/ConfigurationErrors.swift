import Foundation

/// Every problem found in one configuration, in file order, so `check-config` shows them
/// all at once instead of one per run. Its description is one `file:line: message` per line.
public struct ConfigurationErrors: Error, Equatable, Sendable, CustomStringConvertible {
    /// The problems, sorted by line, duplicates removed.
    public var errors: [YAMLError]

    /// Collects `errors`, dropping repeats (a wrong kind is seen by both the schema check
    /// and the decoder) and ordering them as they appear in the file.
    public init(_ errors: [YAMLError]) {
        var seen = Set<String>()
        self.errors = errors.filter { seen.insert($0.description).inserted }
            .enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
    }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }

    /// Throws nothing for no errors, the error itself for one, and all of them for more.
    static func throwIfAny(_ errors: [YAMLError]) throws {
        let all = ConfigurationErrors(errors)
        if all.errors.count == 1 { throw all.errors[0] }
        if !all.errors.isEmpty { throw all }
    }

    /// Runs `body`, adding what it throws to `errors` instead of stopping; an error that
    /// carries no place is placed at `node`.
    static func collect(into errors: inout [YAMLError], at node: YAMLNode, _ body: () throws -> Void) {
        do { try body() } catch let error as YAMLError { errors.append(error) }
        catch let error as ConfigurationErrors { errors += error.errors }
        catch { errors.append(node.error("\(error)")) }
    }
}
