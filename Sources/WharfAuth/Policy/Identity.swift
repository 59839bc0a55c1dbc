/// Who a request comes from: a user and the groups they are in (the built-in
/// `system:authenticated`, or `system:unauthenticated` for an anonymous caller).
public struct Identity: Equatable, Sendable {
    /// Built-in group of every authenticated user.
    public static let authenticatedGroup = "system:authenticated"
    /// Built-in group of anonymous callers.
    public static let unauthenticatedGroup = "system:unauthenticated"

    /// The user name; nil when anonymous.
    public var user: String?
    /// Every group, built-in ones included.
    public var groups: Set<String>

    /// An authenticated user in `groups` (plus `system:authenticated`).
    public init(user: String, groups: [String]) {
        self.user = user
        self.groups = Set(groups).union([Self.authenticatedGroup])
    }

    /// The anonymous caller.
    public static let anonymous = Identity()

    private init() {
        user = nil
        groups = [Self.unauthenticatedGroup]
    }

    /// True for the anonymous caller.
    public var isAnonymous: Bool { user == nil }

    /// True when a binding subject (`user:NAME` or `group:NAME`) names this identity.
    public func matches(subject: String) -> Bool {
        if subject.hasPrefix("user:") { return user != nil && user == String(subject.dropFirst(5)) }
        if subject.hasPrefix("group:") { return groups.contains(String(subject.dropFirst(6))) }
        return false
    }
}
