import Foundation

/// A problem found in a YAML document or in the values read from it, with where it is.
///
/// Its description is the conventional `file:line: what is wrong`, e.g.
/// `config.yml:12: http.addr: expected a scalar, found a mapping`. Values that came from
/// an environment variable have the variable as origin and no line:
/// `$REGISTRY_HTTP_ADDR: invalid address`.
public struct YAMLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file name (or `$VARIABLE`) the text came from.
    public var origin: String
    /// 1-based line number; 0 when the origin has no lines (environment variables).
    public var line: Int
    /// What is wrong, naming the key path where there is one.
    public var message: String

    /// Creates an error at `origin:line`.
    public init(origin: String, line: Int, message: String) {
        self.origin = origin
        self.line = line
        self.message = message
    }

    /// `origin:line: message` (or `origin: message` without a line).
    public var description: String {
        line > 0 ? "\(origin):\(line): \(message)" : "\(origin): \(message)"
    }
}
