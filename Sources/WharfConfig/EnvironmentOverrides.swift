import Foundation
import WharfStorage

/// Applies `REGISTRY_*` environment variables to a parsed config tree, as distribution
/// does: each variable names a key path (`REGISTRY_HTTP_ADDR` → `http.addr`) and its value
/// replaces the file's. `REGISTRY_STORAGE=<driver>` selects the storage driver, dropping
/// other drivers' sections from the file.
///
/// Variables that name no key are reported as warnings, not errors: Kubernetes injects
/// service-link variables such as `REGISTRY_SERVICE_HOST` and `REGISTRY_PORT_5000_TCP`
/// into every pod when a service is called `registry` (those two families are ignored
/// silently), and a registry that refused to start because of its environment would be
/// worse than one that says what it ignored.
public enum EnvironmentOverrides {
    /// The prefix of every configuration variable.
    public static let prefix = "REGISTRY_"

    /// Applies the variables of `environment` to `root`; returns the warnings (variables ignored).
    /// Throws when a value cannot be used (e.g. a YAML value that does not parse).
    public static func apply(_ environment: [String: String], to root: inout YAMLNode,
                             schema: ConfigSchema = .root) throws -> [String] {
        var warnings: [String] = []
        if root.isNull { root = YAMLNode(.mapping([]), line: 1, origin: root.origin) }

        if let driver = environment["REGISTRY_STORAGE"] {
            let origin = "$REGISTRY_STORAGE"
            let name = driver.trimmingCharacters(in: .whitespaces).lowercased()
            guard StorageDriverFactory.registration(named: name) != nil else {
                throw YAMLError(origin: origin, line: 0, message: "unsupported storage driver '\(driver)' (supported: \(StorageDriverFactory.knownNames.joined(separator: ", ")))")
            }
            if var storage = root["storage"], storage.mapping != nil || storage.isNull {
                for other in StorageDriverFactory.knownNames + StorageDriverFactory.planned where other != name {
                    storage.removeValue(forKey: other)
                }
                if storage.isNull { storage = YAMLNode(.mapping([]), line: 0, origin: origin) }
                if storage[name] == nil {
                    storage.set(YAMLNode(.mapping([]), line: 0, origin: origin), at: [name])
                }
                root.set(storage, at: ["storage"])
            } else {
                root.set(YAMLNode(.mapping([]), line: 0, origin: origin), at: ["storage", name])
            }
        }

        for name in environment.keys.sorted() where name.hasPrefix(prefix) && name != "REGISTRY_STORAGE" {
            let value = environment[name] ?? ""
            let components = name.dropFirst(prefix.count).split(separator: "_", omittingEmptySubsequences: false).map { $0.lowercased() }
            guard let target = schema.resolve(components[...]) else {
                if isServiceLink(components) { continue }
                warnings.append("\(name): not a configuration key, ignored")
                continue
            }
            let origin = "$\(name)"
            let node: YAMLNode
            if case .scalar = target.schema {
                node = YAMLNode(.scalar(value, .plain), line: 0, origin: origin)
            } else {
                // A whole section or list given as YAML, e.g. REGISTRY_LOG_FIELDS='{}' or
                // REGISTRY_HTTP_HEADERS_X_FRAME_OPTIONS='[DENY]'.
                node = try stripLines(YAMLReader.parse(value, origin: origin))
            }
            root.set(node, at: target.path[...])
        }
        return warnings
    }

    /// Kubernetes service-link variables for a service named `registry`.
    private static func isServiceLink(_ components: [String]) -> Bool {
        guard let first = components.first else { return false }
        return first == "service" || first == "port"
    }

    /// Values from a variable have no meaningful lines: report the variable alone.
    private static func stripLines(_ node: YAMLNode) -> YAMLNode {
        var copy = node
        copy.line = 0
        switch node.content {
        case .scalar: break
        case .sequence(let items): copy.content = .sequence(items.map(stripLines))
        case .mapping(let entries):
            copy.content = .mapping(entries.map { YAMLEntry(key: $0.key, keyLine: 0, value: stripLines($0.value)) })
        }
        return copy
    }
}
