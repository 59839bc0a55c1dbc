/// One scope of a token request, as Docker clients send it:
/// `repository:myproject/app:pull,push` or `registry:catalog:*`.
public struct AccessScope: Equatable, Sendable {
    /// `repository` or `registry`.
    public var type: String
    /// The repository name, or `catalog`/`metrics` for `registry`.
    public var name: String
    /// Requested actions (`pull`, `push`, `delete`, `*`).
    public var actions: [String]

    /// Creates a scope.
    public init(type: String, name: String, actions: [String]) {
        self.type = type
        self.name = name
        self.actions = actions
    }

    /// Parses one scope; nil when it is not `type:name:actions`. A name with a port-like
    /// `host:port/` prefix is not a valid repository name here, so the name is the text
    /// between the first and the last colon.
    public static func parse(_ text: String) -> AccessScope? {
        guard text.utf8.count <= 512, let first = text.firstIndex(of: ":"), let last = text.lastIndex(of: ":"),
              first < last else { return nil }
        let type = String(text[..<first])
        let name = String(text[text.index(after: first)..<last])
        let actions = text[text.index(after: last)...].split(separator: ",").map(String.init).filter { !$0.isEmpty }
        guard !type.isEmpty, !name.isEmpty else { return nil }
        return AccessScope(type: type, name: name, actions: actions)
    }

    /// Every scope of a token request: `scope` may repeat and one value may hold several
    /// scopes separated by spaces. Unparseable ones are dropped.
    public static func parseAll(_ values: [String]) -> [AccessScope] {
        values.flatMap { $0.split(separator: " ") }.compactMap { parse(String($0)) }
    }

    /// The text form, `type:name:a,b`.
    public var description: String { "\(type):\(name):\(actions.joined(separator: ","))" }
}
