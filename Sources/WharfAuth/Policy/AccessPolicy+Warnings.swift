/// What is legal in a policy file but almost surely a mistake.
extension AccessPolicy {
    /// One line per binding subject that can never match: a `user:NAME` that no user in the
    /// file has, or a `group:NAME` that no user is in and that is not built in
    /// (`system:authenticated`, `system:unauthenticated`). `serve` logs them at start,
    /// `check-config` prints them.
    public var warnings: [String] {
        let names = Set(users.map(\.name))
        let groups = Set(users.flatMap(\.groups)).union([Identity.authenticatedGroup, Identity.unauthenticatedGroup])
        var out: [String] = []
        for (i, binding) in bindings.enumerated() {
            for subject in binding.subjects {
                if subject.hasPrefix("user:"), !names.contains(String(subject.dropFirst(5))) {
                    out.append("bindings[\(i)] (\(binding.role.rawValue)): '\(subject)' names no user in the policy file; it never matches")
                } else if subject.hasPrefix("group:"), !groups.contains(String(subject.dropFirst(6))) {
                    out.append("bindings[\(i)] (\(binding.role.rawValue)): '\(subject)' is a group no user is in; it never matches")
                }
            }
        }
        return out
    }
}
