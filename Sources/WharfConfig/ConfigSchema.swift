import Foundation
import WharfStorage

/// The shape of config.yml: which keys exist and what kind of value each takes. One tree
/// serves both checks that must agree: unknown keys in the file are errors naming their
/// full path, and `REGISTRY_*` variables are mapped to keys by walking it (config keys
/// have no underscores, so `REGISTRY_HTTP_TLS_CERTIFICATE` is `http.tls.certificate`).
///
/// Adding a section (e.g. `auth`, `openshift`) is adding it to ``root``; its variables
/// (`REGISTRY_AUTH_*`, `REGISTRY_OPENSHIFT_*`) then map with no other change.
public indirect enum ConfigSchema: Sendable {
    /// A single value (string, bool, number, duration, size).
    case scalar
    /// A mapping with these fixed keys (a null value counts as empty).
    case section([(String, ConfigSchema)])
    /// A mapping with free keys (`log.fields`): key → scalar.
    case stringMap
    /// A mapping with free keys to lists of scalars (`http.headers`).
    case listMap

    /// The whole file.
    public static let root: ConfigSchema = .section([
        ("version", .scalar),
        ("loglevel", .scalar),
        ("log", .section([("level", .scalar), ("formatter", .scalar), ("fields", .stringMap)])),
        ("http", .section([
            ("addr", .scalar), ("host", .scalar), ("prefix", .scalar), ("secret", .scalar),
            ("relativeurls", .scalar), ("draintimeout", .scalar),
            ("tls", .section([("certificate", .scalar), ("key", .scalar), ("minimumtls", .scalar)])),
            ("http2", .section([("disabled", .scalar), ("maxconcurrentstreams", .scalar), ("flowcontroltimeout", .scalar)])),
            ("headers", .listMap),
            ("limits", .section([
                ("maxheaderbytes", .scalar), ("maxrequestlinebytes", .scalar), ("maxheadercount", .scalar), ("idletimeout", .scalar),
                ("headertimeout", .scalar), ("maxconnections", .scalar), ("maxbodysize", .scalar),
                ("reservedconnections", .scalar), ("iotimeout", .scalar),
            ])),
        ])),
        ("storage", .section([
            ("delete", .section([("enabled", .scalar)])),
            ("redirect", .section([("disable", .scalar)])),
            ("maintenance", .section([
                ("readonly", .section([("enabled", .scalar)])),
                ("uploadpurging", .section([("enabled", .scalar), ("age", .scalar), ("interval", .scalar), ("dryrun", .scalar)])),
                ("pruning", .section([
                    ("enabled", .scalar), ("schedule", .scalar), ("suspend", .scalar), ("keeptagrevisions", .scalar),
                    ("keepyoungerthan", .scalar), ("ignoreinvalidimagereferences", .scalar), ("dryrun", .scalar),
                ])),
                ("gc", .section([
                    ("enabled", .scalar), ("interval", .scalar), ("graceperiod", .scalar), ("deleteuntagged", .scalar),
                    ("dryrun", .scalar), ("sweepdelay", .scalar), ("leaseduration", .scalar),
                ])),
            ])),
            ("cache", .section([("blobdescriptor", .scalar)])),
        ] + StorageDriverFactory.registrations.map { driver in
            (driver.name, ConfigSchema.section(driver.parameters.map { ($0.name, .scalar) }))
        })),
        ("openshift", .section(OperationsConfiguration.schemaKeys)),
        ("auth", Configuration.Auth.schema),
    ])

    /// The child schema for `key` in a section.
    public func child(_ key: String) -> ConfigSchema? {
        guard case .section(let children) = self else { return nil }
        return children.first { $0.0 == key }?.1
    }

    /// Checks `node` against this schema: unknown keys and wrong kinds are errors naming
    /// the full key path (`http.adr: unknown key`) and the line. Throws every error found.
    public func validate(_ node: YAMLNode, path: String) throws {
        var errors: [YAMLError] = []
        validate(node, path: path, errors: &errors)
        try ConfigurationErrors.throwIfAny(errors)
    }

    /// Adds every problem under `node` to `errors`, continuing past each one.
    public func validate(_ node: YAMLNode, path: String, errors: inout [YAMLError]) {
        switch self {
        case .scalar:
            ConfigurationErrors.collect(into: &errors, at: node) { _ = try node.string(at: path) }
        case .section(let children):
            guard let entries = try? node.entries(at: path.isEmpty ? "top level" : path) else {
                ConfigurationErrors.collect(into: &errors, at: node) { _ = try node.entries(at: path.isEmpty ? "top level" : path) }
                return
            }
            for entry in entries {
                let childPath = path.isEmpty ? entry.key : "\(path).\(entry.key)"
                guard let schema = children.first(where: { $0.0 == entry.key })?.1 else {
                    if path == "storage" && StorageDriverFactory.planned.contains(entry.key) {
                        errors.append(YAMLError(origin: entry.value.origin, line: entry.keyLine,
                                                message: "\(childPath): storage driver '\(entry.key)' is not supported yet (supported: \(StorageDriverFactory.knownNames.joined(separator: ", ")))"))
                        continue
                    }
                    let hint = ConfigSchema.root.hint(forUnknown: entry.key, among: children.map(\.0))
                    errors.append(YAMLError(origin: entry.value.origin, line: entry.keyLine,
                                            message: "\(childPath): unknown key" + (hint.map { " (\($0))" } ?? "")))
                    continue
                }
                schema.validate(entry.value, path: childPath, errors: &errors)
            }
        case .stringMap:
            ConfigurationErrors.collect(into: &errors, at: node) {
                for entry in try node.entries(at: path) { _ = try entry.value.string(at: "\(path).\(entry.key)") }
            }
        case .listMap:
            ConfigurationErrors.collect(into: &errors, at: node) {
                for entry in try node.entries(at: path) { _ = try entry.value.stringList(at: "\(path).\(entry.key)") }
            }
        }
    }

    /// Maps the lower-cased components of a variable name (after `REGISTRY_`) to a key path
    /// and the schema of the value there, or nil when they name no key. Below a free-key
    /// mapping the remaining components, joined by `_`, are the key (`REGISTRY_LOG_FIELDS_SERVICE_NAME`
    /// → `log.fields.service_name`).
    public func resolve(_ components: ArraySlice<String>) -> (path: [String], schema: ConfigSchema)? {
        guard let first = components.first else { return ([], self) }
        if first.isEmpty { return nil }
        switch self {
        case .scalar:
            return nil
        case .section:
            guard let schema = child(first), let rest = schema.resolve(components.dropFirst()) else { return nil }
            return ([first] + rest.path, rest.schema)
        case .stringMap, .listMap:
            if components.contains(where: \.isEmpty) { return nil }
            let key = components.joined(separator: "_")
            if case .stringMap = self { return ([key], .scalar) }
            return ([key], .listMap)
        }
    }
}
