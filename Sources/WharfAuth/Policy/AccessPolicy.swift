import Foundation
import WharfConfig
import WharfCrypto

/// A user of the policy file: hashed API tokens, an optional bcrypt password, groups.
public struct PolicyUser: Equatable, Sendable {
    /// The name bindings refer to as `user:NAME`.
    public var name: String
    /// SHA-256 digests (lower-case hex, without `sha256:`) of the user's API tokens.
    public var tokenHashes: [String]
    /// A bcrypt hash (`$2b$`/`$2y$`), or nil.
    public var passwordHash: String?
    /// Groups bindings refer to as `group:NAME`.
    public var groups: [String]

    /// Creates a user.
    public init(name: String, tokenHashes: [String], passwordHash: String?, groups: [String]) {
        self.name = name
        self.tokenHashes = tokenHashes
        self.passwordHash = passwordHash
        self.groups = groups
    }
}

/// One binding: a role granted to subjects on projects.
public struct RoleBinding: Equatable, Sendable {
    /// The role.
    public var role: Role
    /// `user:NAME` or `group:NAME` entries.
    public var subjects: [String]
    /// Project names, or `*` for every project.
    public var projects: [String]

    /// Creates a binding.
    public init(role: Role, subjects: [String], projects: [String]) {
        self.role = role
        self.subjects = subjects
        self.projects = projects
    }
}

/// The access policy: users and role bindings, read from the policy file (the same
/// YAML subset as config.yml). Errors name the file and line.
///
/// ```yaml
/// users:
///   - name: alice
///     tokens: ["sha256:<hex of the token>"]
///     groups: [devs]
/// bindings:
///   - role: registry-editor
///     subjects: ["user:alice"]
///     projects: ["myproject"]
/// ```
public struct AccessPolicy: Equatable, Sendable {
    /// Every user, in file order.
    public private(set) var users: [PolicyUser]
    /// Every binding, in file order.
    public private(set) var bindings: [RoleBinding]
    private var byTokenHash: [String: Int] = [:]
    private var byName: [String: Int] = [:]

    /// A policy of these users and bindings; throws on a duplicate user or token.
    public init(users: [PolicyUser], bindings: [RoleBinding]) throws {
        self.users = users
        self.bindings = bindings
        for (i, u) in users.enumerated() {
            if byName[u.name] != nil { throw ConfigurationError("user '\(u.name)' is defined twice") }
            byName[u.name] = i
            for h in u.tokenHashes {
                if byTokenHash[h] != nil { throw ConfigurationError("a token of user '\(u.name)' is also another user's") }
                byTokenHash[h] = i
            }
        }
    }

    /// The empty policy: nobody can do anything.
    public static let empty = try! AccessPolicy(users: [], bindings: [])

    /// The user whose API token hashes to `tokenHash` (lower-case hex SHA-256).
    public func user(withTokenHash tokenHash: String) -> PolicyUser? {
        byTokenHash[tokenHash].map { users[$0] }
    }

    /// The user called `name`.
    public func user(named name: String) -> PolicyUser? {
        byName[name].map { users[$0] }
    }

    /// The verbs `identity` has on `project` (nil: verbs that need a binding on every
    /// project, i.e. the catalog and metrics).
    public func verbs(for identity: Identity, project: String?) -> Set<AccessVerb> {
        var verbs: Set<AccessVerb> = []
        for b in bindings where b.subjects.contains(where: identity.matches(subject:)) {
            let all = b.projects.contains("*")
            if let project {
                if all || b.projects.contains(project) { verbs.formUnion(b.role.verbs(allProjects: all)) }
            } else {
                verbs.formUnion(b.role.verbs(allProjects: all).intersection(AccessVerb.registryWide))
            }
        }
        if project != nil { verbs.subtract(AccessVerb.registryWide) }
        return verbs
    }

    // MARK: Parsing

    /// Largest policy file read.
    public static let maxFileSize = 4 << 20

    /// Reads and parses the policy file at `path`.
    public static func load(path: String) throws -> AccessPolicy {
        try parse(ConfigurationFile.read(path, kind: "policy file", maxSize: maxFileSize), origin: path)
    }

    /// Parses policy text; `origin` names it in errors (`policy.yml:7: ...`).
    public static func parse(_ data: Data, origin: String) throws -> AccessPolicy {
        let root = try YAMLReader.parse(data, origin: origin)
        if root.isNull { return .empty }
        for entry in try root.entries(at: "top level") where entry.key != "users" && entry.key != "bindings" {
            throw YAMLError(origin: origin, line: entry.keyLine, message: "\(entry.key): unknown key (expected users, bindings)")
        }
        var users: [PolicyUser] = []
        var seenTokens: Set<String> = []
        for (i, node) in try sequence(root["users"], "users").enumerated() {
            let path = "users[\(i)]"
            try checkKeys(node, path, ["name", "tokens", "password", "groups"])
            guard let nameNode = node["name"] else { throw node.error("\(path).name: missing") }
            let name = try nameNode.string(at: "\(path).name")
            guard !name.isEmpty, !name.contains(":") else {
                throw nameNode.error("\(path).name: a user name must be non-empty and contain no ':'")
            }
            if users.contains(where: { $0.name == name }) { throw nameNode.error("\(path).name: user '\(name)' is defined twice") }
            var hashes: [String] = []
            if let tokens = node["tokens"], !tokens.isNull {
                for t in try tokens.stringList(at: "\(path).tokens") {
                    let hex = t.lowercased()
                    guard hex.hasPrefix("sha256:"), hex.count == 71, Hex.decode(String(hex.dropFirst(7))) != nil else {
                        throw tokens.error("\(path).tokens: expected \"sha256:<64 hex digits>\" (the token's hash, never the token)")
                    }
                    let h = String(hex.dropFirst(7))
                    guard seenTokens.insert(h).inserted else { throw tokens.error("\(path).tokens: token hash listed twice") }
                    hashes.append(h)
                }
            }
            var password: String? = nil
            if let p = node["password"], !p.isNull {
                let v = try p.string(at: "\(path).password")
                guard BcryptPassword.isHash(v) else {
                    throw p.error("\(path).password: expected a bcrypt hash ($2b$, $2y$ or $2a$; see wharf hash-password)")
                }
                password = v
            }
            var groups: [String] = []
            if let g = node["groups"], !g.isNull { groups = try g.stringList(at: "\(path).groups") }
            users.append(PolicyUser(name: name, tokenHashes: hashes, passwordHash: password, groups: groups))
        }
        var bindings: [RoleBinding] = []
        for (i, node) in try sequence(root["bindings"], "bindings").enumerated() {
            let path = "bindings[\(i)]"
            try checkKeys(node, path, ["role", "subjects", "projects"])
            guard let roleNode = node["role"] else { throw node.error("\(path).role: missing") }
            let roleName = try roleNode.string(at: "\(path).role")
            guard let role = Role(rawValue: roleName) else {
                throw roleNode.error("\(path).role: unknown role '\(roleName)' (expected \(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let subjectsNode = node["subjects"] else { throw node.error("\(path).subjects: missing") }
            let subjects = try subjectsNode.stringList(at: "\(path).subjects")
            for s in subjects where !(s.hasPrefix("user:") && s.count > 5) && !(s.hasPrefix("group:") && s.count > 6) {
                throw subjectsNode.error("\(path).subjects: '\(s)' is not user:NAME or group:NAME")
            }
            var projects = ["*"]
            if let p = node["projects"], !p.isNull {
                projects = try p.stringList(at: "\(path).projects")
                for project in projects where project != "*" && (project.isEmpty || project.contains("/")) {
                    throw p.error("\(path).projects: '\(project)' is not a project name or '*'")
                }
            }
            bindings.append(RoleBinding(role: role, subjects: subjects, projects: projects))
        }
        return try AccessPolicy(users: users, bindings: bindings)
    }

    private static func sequence(_ node: YAMLNode?, _ path: String) throws -> [YAMLNode] {
        guard let node, !node.isNull else { return [] }
        guard let items = node.sequence else { throw node.error("\(path): expected a list, found \(node.kindName)") }
        return items
    }

    private static func checkKeys(_ node: YAMLNode, _ path: String, _ allowed: [String]) throws {
        for e in try node.entries(at: path) where !allowed.contains(e.key) {
            throw YAMLError(origin: node.origin, line: e.keyLine, message: "\(path).\(e.key): unknown key")
        }
    }
}
